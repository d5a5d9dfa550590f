"""Schemas of a resident's own data: profile, health code, status and history."""

from __future__ import annotations

import marshmallow as ma

from app.api.common import ReasonSchema, StrictSchema
from app.services.proofing import NAME_MAX, UNCHECKED


class ProfileInputSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=NAME_MAX))
    id_number = ma.fields.String(
        required=True,
        load_only=True,
        validate=ma.validate.Length(min=6, max=40),
        metadata={
            "description": "6-32 letters or digits (spaces and dashes are ignored); an "
            "18-character PRC resident ID must have a valid check digit and match birth_date."
        },
    )
    birth_date = ma.fields.Date(
        required=True, metadata={"description": "From 1900-01-01 to today."}
    )
    phone = ma.fields.String(
        validate=ma.validate.Length(max=32),
        load_only=True,
        metadata={
            "description": "The number you log in with; required by the telco identity "
            "provider, whose carrier check needs phone, name and ID number."
        },
    )


class ProfileSchema(ma.Schema):
    person_id = ma.fields.UUID(attribute="id")
    name = ma.fields.String(attribute="name_masked")
    id_last4 = ma.fields.String()
    birth_year = ma.fields.Function(lambda p: p.birth_date.year if p.birth_date else None)
    identity = ma.fields.Function(
        lambda p: {
            "verified": p.identity_proven_at is not None,
            "method": p.identity_method,
            "verified_at": p.identity_proven_at.isoformat() if p.identity_proven_at else None,
            "note": UNCHECKED.get(p.identity_method),
        },
        metadata={
            "description": "How your identity was proven: telco, counter, or (never in "
            "production) development/none, which check nothing and say so in `note`."
        },
    )


class CodeSchema(ma.Schema):
    code = ma.fields.String(attribute="text")
    color = ma.fields.String()
    issued_at = ma.fields.DateTime()
    expires_at = ma.fields.DateTime()
    kid = ma.fields.String()
    code_id = ma.fields.String(attribute="id")
    rule_set_version = ma.fields.Integer(attribute="ruleset_version")


class HistorySchema(ma.Schema):
    at = ma.fields.DateTime()
    from_ = ma.fields.String(data_key="from", attribute="from", allow_none=True)
    to = ma.fields.String()
    rule_set_version = ma.fields.Integer()
    reasons = ma.fields.List(ma.fields.Nested(ReasonSchema))
