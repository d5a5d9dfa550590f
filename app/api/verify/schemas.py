"""Verification schemas."""

from __future__ import annotations

import marshmallow as ma

from app.api.common import StrictSchema


class VerifyInputSchema(StrictSchema):
    code = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=4096))


class ImageInputSchema(StrictSchema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class VerifyResultSchema(ma.Schema):
    valid = ma.fields.Boolean()
    reason = ma.fields.Function(lambda r: None if r.reason is None else str(r.reason))
    color = ma.fields.String(allow_none=True)
    holder = ma.fields.Function(
        lambda r: {"name": r.holder_name, "id_last4": r.id_last4} if r.valid else None
    )
    expires_at = ma.fields.DateTime(allow_none=True)
    code_id = ma.fields.String(allow_none=True)
    kid = ma.fields.String(allow_none=True)
