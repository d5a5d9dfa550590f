"""Login and token schemas."""

from __future__ import annotations

import marshmallow as ma

from app.api.common import StrictSchema


class OtpRequestSchema(StrictSchema):
    phone = ma.fields.String(required=True, validate=ma.validate.Length(max=32))


class OtpTokenSchema(StrictSchema):
    phone = ma.fields.String(required=True, validate=ma.validate.Length(max=32))
    otp = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^\d{6}$"))


class PasswordLoginSchema(StrictSchema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    password = ma.fields.String(
        required=True, load_only=True, validate=ma.validate.Length(min=1, max=256)
    )


class RefreshSchema(StrictSchema):
    refresh_token = ma.fields.String(required=True, validate=ma.validate.Length(max=256))


class TokenSchema(ma.Schema):
    access_token = ma.fields.String()
    refresh_token = ma.fields.String()
    token_type = ma.fields.String()
    expires_in = ma.fields.Integer()
