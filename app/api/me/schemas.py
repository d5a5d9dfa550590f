"""Residents' own profile schemas."""

from __future__ import annotations

import marshmallow as ma

from app.api.common import StrictSchema


class ProfileInputSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    id_number = ma.fields.String(
        required=True, load_only=True, validate=ma.validate.Length(min=6, max=40)
    )
    birth_date = ma.fields.Date(required=True)


class ProfileSchema(ma.Schema):
    person_id = ma.fields.UUID(attribute="id")
    name = ma.fields.String(attribute="name_masked")
    id_last4 = ma.fields.String()
    birth_year = ma.fields.Function(lambda p: p.birth_date.year if p.birth_date else None)
