"""Region schemas."""

from __future__ import annotations

import marshmallow as ma

from app.api.common import StrictSchema
from app.api.fields import Timestamp


class RegionInputSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    level = ma.fields.String(required=True, validate=ma.validate.OneOf(("low", "medium", "high")))
    effective_from = Timestamp(required=True)


class RegionSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    level = ma.fields.String()
    updated_at = ma.fields.DateTime()


class LevelSchema(ma.Schema):
    level = ma.fields.String()
    effective_from = ma.fields.DateTime()
    set_by = ma.fields.UUID(allow_none=True)
    created_at = ma.fields.DateTime()


class RegionDetailSchema(RegionSchema):
    history = ma.fields.List(ma.fields.Nested(LevelSchema))
