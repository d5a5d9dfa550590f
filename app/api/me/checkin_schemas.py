"""Check-in schemas."""

from __future__ import annotations

import marshmallow as ma

from app.api.common import StrictSchema


class CheckInInputSchema(StrictSchema):
    place_code = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=4096))


class CheckInSchema(ma.Schema):
    id = ma.fields.UUID()
    venue_id = ma.fields.UUID()
    region_code = ma.fields.String()
    arrived_at = ma.fields.DateTime()
    departed_at = ma.fields.DateTime()
    checked_out = ma.fields.Boolean()


class VisitSchema(CheckInSchema):
    venue_name = ma.fields.String()
    admitted = ma.fields.Boolean()
    color = ma.fields.String()


class CheckInResultSchema(ma.Schema):
    checkin = ma.fields.Nested(CheckInSchema)
    venue = ma.fields.Function(lambda r: {"id": str(r.venue.id), "name": r.venue.name})
    created = ma.fields.Boolean(
        metadata={"description": "False when this repeats a scan of the last few minutes."}
    )
    color = ma.fields.String()
    code = ma.fields.Function(lambda r: r.code.text, metadata={"description": "Your code."})
    code_expires_at = ma.fields.Function(lambda r: r.code.expires_at.isoformat())
    admit = ma.fields.Function(lambda r: r.decision.admit)
    reason = ma.fields.Function(lambda r: r.decision.reason)


class VisitQuerySchema(StrictSchema):
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=500))
