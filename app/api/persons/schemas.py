"""Person look-up schemas."""

from __future__ import annotations

import marshmallow as ma

from app.api.common import StrictSchema


class LookupSchema(StrictSchema):
    id_number = ma.fields.String(required=True, validate=ma.validate.Length(min=6, max=40))


class PersonSchema(ma.Schema):
    person_id = ma.fields.UUID(attribute="id")
    name = ma.fields.String(attribute="name_masked", allow_none=True)
    id_last4 = ma.fields.String()
