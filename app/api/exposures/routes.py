"""Venue exposures for officials: affected venues and counts, review, the exposure mode."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import marshmallow as ma
from flask.views import MethodView

from app.api.blueprint import Blueprint
from app.api.common import StrictSchema
from app.extensions import db_session, now
from app.models import Exposure, Role
from app.security.access import allow, current_principal
from app.services import exposures
from app.states import ExposureMode, ExposureStatus

blp = Blueprint("exposures", __name__, url_prefix="/v1/exposures", description="Venue exposure")
WHO = (Role.OFFICIAL, Role.ADMIN)


class ExposureSchema(ma.Schema):
    id = ma.fields.UUID()
    status = ma.fields.String()
    sampled_at = ma.fields.DateTime()
    window_from = ma.fields.DateTime()
    venues = ma.fields.List(
        ma.fields.Dict(), metadata={"description": "{venue_id, name, contacts, date} per venue"}
    )
    contacts = ma.fields.Integer(metadata={"description": "People exposed (all venues)."})
    created_at = ma.fields.DateTime()
    decided_at = ma.fields.DateTime(allow_none=True)


class ExposureQuerySchema(StrictSchema):
    status = ma.fields.String(validate=ma.validate.OneOf([s.value for s in ExposureStatus]))
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=500))


class ModeSchema(StrictSchema):
    mode = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf([m.value for m in ExposureMode]),
        metadata={"description": "auto: apply at once; review: wait for an official."},
    )


@blp.route("")
class Exposures(MethodView):
    @allow(*WHO)
    @blp.arguments(ExposureQuerySchema, location="query")
    @blp.response(200, ExposureSchema(many=True))
    def get(self, query: dict[str, Any]) -> Sequence[Exposure]:
        """Venue exposures, newest first: affected venues and counts (no identities)."""
        return exposures.listing(db_session(), status=query.get("status"), limit=query["limit"])


@blp.route("/mode")
class Mode(MethodView):
    @allow(*WHO)
    @blp.response(200, ModeSchema)
    def get(self) -> dict[str, str]:
        """Whether exposures apply at once (auto) or after review."""
        return {"mode": exposures.mode(db_session())}

    @allow(*WHO)
    @blp.arguments(ModeSchema)
    @blp.response(200, ModeSchema)
    def put(self, data: dict[str, Any]) -> dict[str, str]:
        """Set the exposure mode."""
        value = exposures.set_mode(
            db_session(), actor=current_principal(), value=ExposureMode(data["mode"]), now=now()
        )
        return {"mode": value}


@blp.route("/<uuid:exposure_id>")
class OneExposure(MethodView):
    @allow(*WHO)
    @blp.response(200, ExposureSchema)
    def get(self, exposure_id: uuid.UUID) -> Exposure:
        """One exposure."""
        return exposures.get(db_session(), exposure_id=exposure_id)


def _decision(approve: bool) -> type[MethodView]:
    def post(_self: MethodView, exposure_id: uuid.UUID) -> Exposure:
        return exposures.decide(
            db_session(),
            actor=current_principal(),
            exposure_id=exposure_id,
            approve=approve,
            now=now(),
        )

    post.__doc__ = (
        "Apply a pending exposure: record the contacts and recompute them."
        if approve
        else "Dismiss a pending exposure: nobody is affected."
    )
    view = allow(*WHO)(blp.response(200, ExposureSchema)(post))
    return type("Approve" if approve else "Dismiss", (MethodView,), {"post": view})


blp.route("/<uuid:exposure_id>/approve")(_decision(True))
blp.route("/<uuid:exposure_id>/dismiss")(_decision(False))
