"""Feed upload schemas (records are validated one by one in the service)."""

from __future__ import annotations

import marshmallow as ma

from app.api.common import StrictSchema

MAX_RECORDS = 100_000  # the configured HEALTHCODE_FEED_MAX_RECORDS (10,000) applies too


class FeedUploadSchema(StrictSchema):
    PER_ITEM = frozenset({"records"})  # bad values reject their record, not the batch
    records = ma.fields.List(
        ma.fields.Raw(),
        required=True,
        validate=ma.validate.Length(min=1, max=MAX_RECORDS),
        metadata={
            "description": "Up to HEALTHCODE_FEED_MAX_RECORDS (10,000) records; each is "
            "accepted or rejected on its own."
        },
    )


class RejectedSchema(ma.Schema):
    index = ma.fields.Integer()
    errors = ma.fields.List(ma.fields.Dict())


class IngestResultSchema(ma.Schema):
    batch_id = ma.fields.UUID()
    accepted = ma.fields.Integer()
    duplicates = ma.fields.Integer()
    rejected = ma.fields.List(ma.fields.Nested(RejectedSchema))


class BatchSchema(ma.Schema):
    batch_id = ma.fields.UUID(attribute="id")
    kind = ma.fields.String()
    status = ma.fields.String()
    received_at = ma.fields.DateTime()
    applied_at = ma.fields.DateTime(allow_none=True)
    total = ma.fields.Integer()
    accepted = ma.fields.Integer()
    duplicates = ma.fields.Integer()
    rejected = ma.fields.List(ma.fields.Nested(RejectedSchema))
    error = ma.fields.String(allow_none=True)
