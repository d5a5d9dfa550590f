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


def _reason(result: VerificationResult) -> str | None:
    return None if result.reason is None else str(result.reason)


def _holder(result: VerificationResult) -> dict[str, str | None] | None:
    return {"name": result.holder_name, "id_last4": result.id_last4} if result.valid else None


class VerifyResultSchema(ma.Schema):
    """The answer to a verification. Every checkpoint scan is dumped with it, so `dump` writes
    a result out directly (a fifth of marshmallow's time); tests hold it equal to marshmallow's
    dump of these fields for every outcome."""

    valid = ma.fields.Boolean()
    reason = ma.fields.Function(
        _reason,
        metadata={
            "type": "string",
            "nullable": True,
            "enum": [*(str(r) for r in Reason), None],
            "description": "Why the code is not valid (null when it is).",
        },
    )
    color = ma.fields.String(allow_none=True)
    holder = ma.fields.Function(
        _holder,
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
            "reason": _reason(obj),
            "color": obj.color,
            "holder": _holder(obj),
            "expires_at": None if expires_at is None else expires_at.isoformat(),
            "code_id": obj.code_id,
            "kid": obj.kid,
        }
