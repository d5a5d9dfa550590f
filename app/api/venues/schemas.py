"""Venue, place-code, entry and offline-log schemas."""

from __future__ import annotations

import marshmallow as ma

from app.api.common import StrictSchema
from app.api.feeds.schemas import RejectedSchema
from app.api.fields import Timestamp
from app.services.entries import MAX_BATCH
from app.states import VenueKind
from codes import COLORS


def _policy_fields() -> dict[str, ma.fields.Field]:  # type: ignore[type-arg]
    return {
        "admitted_colors": ma.fields.List(
            ma.fields.String(validate=ma.validate.OneOf(COLORS)),
            validate=ma.validate.Length(min=1, max=3),
            metadata={"description": "Colours admitted (default: green only), distinct."},
        ),
        "test_within_hours": ma.fields.Integer(
            allow_none=True,
            validate=ma.validate.Range(min=1, max=720),
            metadata={"description": "Also require a negative test sampled within N hours."},
        ),
    }


def _details(required: bool) -> dict[str, ma.fields.Field]:  # type: ignore[type-arg]
    return {
        "name": ma.fields.String(required=required, validate=ma.validate.Length(min=1, max=100)),
        "address": ma.fields.String(required=required, validate=ma.validate.Length(min=1, max=200)),
        "region_code": ma.fields.String(
            required=required, validate=ma.validate.Length(min=1, max=16)
        ),
        "kind": ma.fields.String(
            required=required, validate=ma.validate.OneOf([k.value for k in VenueKind])
        ),
    }


class _Distinct(StrictSchema):
    @ma.validates("admitted_colors")
    def _distinct(self, value: list[str], **_kwargs: object) -> None:
        if len(set(value)) != len(value):
            raise ma.ValidationError("Colours must not repeat.")


VenueInputSchema = _Distinct.from_dict(_details(True) | _policy_fields(), name="VenueInput")
VenuePatchSchema = _Distinct.from_dict(_details(False) | _policy_fields(), name="VenuePatch")


class VenueQuerySchema(StrictSchema):
    q = ma.fields.String(validate=ma.validate.Length(min=1, max=100))
    region = ma.fields.String(validate=ma.validate.Length(min=1, max=16))
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=500))


class VenueSchema(ma.Schema):
    id = ma.fields.UUID()
    name = ma.fields.String()
    address = ma.fields.String()
    region_code = ma.fields.String()
    kind = ma.fields.String()
    owner_id = ma.fields.UUID()
    policy = ma.fields.Function(
        lambda v: {"admitted_colors": v.admitted_colors, "test_within_hours": v.test_within_hours}
    )
    active = ma.fields.Boolean()
    created_at = ma.fields.DateTime()
    deactivated_at = ma.fields.DateTime(allow_none=True)


class TransferSchema(StrictSchema):
    owner_id = ma.fields.UUID(required=True)


class DeviceKeyInputSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))


class PlaceCodeSchema(ma.Schema):
    code = ma.fields.String(attribute="text")
    valid_from = ma.fields.DateTime(attribute="issued_at")
    valid_until = ma.fields.DateTime(
        attribute="expires_at",
        metadata={"description": "End of the code's validity: its period plus the grace time."},
    )
    rotates_at = ma.fields.DateTime(
        attribute="rotate_at", metadata={"description": "When a new code replaces it."}
    )
    code_id = ma.fields.String(attribute="id")


class EntryInputSchema(StrictSchema):
    code = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=4096))


class EntrySchema(ma.Schema):
    entry_id = ma.fields.String()
    admit = ma.fields.Boolean(attribute="admitted")
    reason = ma.fields.String(allow_none=True)
    color = ma.fields.String(allow_none=True)
    holder = ma.fields.String(
        attribute="holder_hint",
        allow_none=True,
        metadata={"description": "Masked name and last 4 ID characters, as shown at the scan."},
    )
    code_id = ma.fields.String(allow_none=True)
    scanned_at = ma.fields.DateTime()
    offline = ma.fields.Boolean()


class EntryBatchSchema(StrictSchema):
    PER_ITEM = frozenset({"entries"})
    entries = ma.fields.List(
        ma.fields.Raw(),
        required=True,
        validate=ma.validate.Length(min=1, max=MAX_BATCH),
        metadata={
            "description": "Offline decisions {entry_id, code_id, scanned_at, admitted, "
            "reason?, color?}; each is accepted or rejected on its own; a known entry_id is "
            "a duplicate."
        },
    )


class EntryBatchResultSchema(ma.Schema):
    accepted = ma.fields.Integer()
    duplicates = ma.fields.Integer()
    rejected = ma.fields.List(ma.fields.Nested(RejectedSchema))


class EntryQuerySchema(StrictSchema):
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000))


class HourlyQuerySchema(StrictSchema):
    since = Timestamp(metadata={"description": "Default: 24 hours ago (at most 7 days back)."})
    until = Timestamp()


class HourSchema(ma.Schema):
    hour = ma.fields.DateTime()
    admitted = ma.fields.Integer()
    refused = ma.fields.Integer()
    checkins = ma.fields.Integer()
