"""Staff account schemas."""

from __future__ import annotations

import marshmallow as ma

from app.api.common import StrictSchema
from app.models.accounts import STAFF_ROLES

STAFF_ROLE_NAMES = [r.value for r in STAFF_ROLES]


class AccountCreateSchema(StrictSchema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=3, max=64))
    password = ma.fields.String(
        required=True, load_only=True, validate=ma.validate.Length(min=1, max=256)
    )
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(STAFF_ROLE_NAMES))


class AccountPatchSchema(StrictSchema):
    disabled = ma.fields.Boolean(required=True)


class AccountQuerySchema(StrictSchema):
    role = ma.fields.String(validate=ma.validate.OneOf([*STAFF_ROLE_NAMES, "resident"]))


class AccountSchema(ma.Schema):
    id = ma.fields.UUID()
    role = ma.fields.String()
    username = ma.fields.String(allow_none=True)
    phone_hint = ma.fields.String(allow_none=True)
    disabled = ma.fields.Function(lambda a: a.disabled_at is not None)
    created_at = ma.fields.DateTime()
    last_login_at = ma.fields.DateTime(allow_none=True)
