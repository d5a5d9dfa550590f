"""Verification schemas."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from app.api.common import StrictSchema
from codes import Reason, VerificationResult


class VerifyInputSchema(StrictSchema):
    code = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=4096))


class ImageInputSchema(StrictSchema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class VerifyResultSchema(ma.Schema):
    """The answer to a verification. Every checkpoint scan is dumped with it, so `dump` writes
    a result out directly (a fifth of marshmallow's time); tests hold it equal to marshmallow's
    dump of these fields for every outcome."""

    valid = ma.fields.Boolean()
    reason = ma.fields.Function(
        lambda r: None if r.reason is None else str(r.reason),
        metadata={
            "type": "string",
            "nullable": True,
            "enum": [*(str(r) for r in Reason), None],
            "description": "Why the code is not valid (null when it is).",
        },
    )
    color = ma.fields.String(allow_none=True)
    holder = ma.fields.Function(
        lambda r: {"name": r.holder_name, "id_last4": r.id_last4} if r.valid else None,
        metadata={
            "type": "object",
            "nullable": True,
            "properties": {
                "name": {"type": "string", "nullable": True, "description": "Masked name."},
                "id_last4": {"type": "string", "nullable": True},
            },
            "description": "Who to compare with the person in front of you (null when invalid).",
        },
    )
    expires_at = ma.fields.DateTime(allow_none=True)
    code_id = ma.fields.String(allow_none=True)
    kid = ma.fields.String(allow_none=True)

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        many = self.many if many is None else many
        if many or self.only or self.exclude or type(obj) is not VerificationResult:
            return super().dump(obj, many=many)
        expires_at = obj.expires_at
        return {
            "valid": obj.valid,
            "reason": None if obj.reason is None else str(obj.reason),
            "color": obj.color,
            "holder": {"name": obj.holder_name, "id_last4": obj.id_last4} if obj.valid else None,
            "expires_at": None if expires_at is None else expires_at.isoformat(),
            "code_id": obj.code_id,
            "kid": obj.kid,
        }
