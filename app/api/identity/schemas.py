"""In-person identity link schemas."""

from __future__ import annotations

import marshmallow as ma

from app.api.common import StrictSchema
from app.services.proofing import NAME_MAX


class LinkInputSchema(StrictSchema):
    phone = ma.fields.String(
        required=True,
        validate=ma.validate.Length(max=32),
        metadata={"description": "The resident's login phone (they logged in with it once)."},
    )
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=NAME_MAX))
    id_number = ma.fields.String(
        required=True,
        load_only=True,
        validate=ma.validate.Length(min=6, max=40),
        metadata={"description": "From the ID card checked in person (6-32 letters or digits)."},
    )
    birth_date = ma.fields.Date(required=True)
    move = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "Move the link from another account (a dispute settled by this "
            "in-person check); both accounts are told by SMS."
        },
    )


class LinkSchema(ma.Schema):
    person_id = ma.fields.UUID()
    moved = ma.fields.Boolean(metadata={"description": "True when the link moved accounts."})
