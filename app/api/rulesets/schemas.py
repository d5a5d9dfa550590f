"""Rule-set schemas (the rule document itself is validated by risk/ with JSON pointers)."""

from __future__ import annotations

import marshmallow as ma

from app.api.common import StrictSchema


class RuleSetInputSchema(StrictSchema):
    default_color = ma.fields.String(required=True)
    rules = ma.fields.List(ma.fields.Dict(), required=True)
    description = ma.fields.String(validate=ma.validate.Length(max=500))


class RuleSetSchema(ma.Schema):
    version = ma.fields.Integer()
    status = ma.fields.String()
    description = ma.fields.String(allow_none=True)
    document = ma.fields.Dict()
    created_by = ma.fields.UUID(allow_none=True)
    created_at = ma.fields.DateTime()
    published_by = ma.fields.UUID(allow_none=True)
    published_at = ma.fields.DateTime(allow_none=True)


class JobStartedSchema(ma.Schema):
    job_id = ma.fields.UUID(attribute="id")
    status = ma.fields.String()
