"""/v1/me/checkins: a resident's venue check-ins (scan a place code, check out, list visits)."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from app.api.blueprint import Blueprint
from app.api.me.checkin_schemas import (
    CheckInInputSchema,
    CheckInResultSchema,
    CheckInSchema,
    VisitQuerySchema,
    VisitSchema,
)
from app.extensions import container, db_session, now
from app.models import CheckIn, Role
from app.security.access import allow, current_principal
from app.services import checkins

blp = Blueprint(
    "checkins", __name__, url_prefix="/v1/me/checkins", description="The resident's visits"
)


@blp.route("")
class CheckIns(MethodView):
    @allow(Role.RESIDENT)
    @blp.arguments(CheckInInputSchema)
    @blp.response(201, CheckInResultSchema)
    @blp.alt_response(200, schema=CheckInResultSchema, description="A repeated scan: same visit")
    def post(self, data: dict[str, Any]) -> tuple[checkins.CheckInResult, int]:
        """Check in with a venue's place code: your visit, colour, code and the door decision."""
        c = container()
        result = checkins.check_in(
            db_session(),
            live=c.live,
            keyring=c.keyring,
            settings=c.settings,
            actor=current_principal(),
            place_code=data["place_code"],
            now=now(),
        )
        return result, 201 if result.created else 200

    @allow(Role.RESIDENT)
    @blp.arguments(VisitQuerySchema, location="query")
    @blp.response(200, VisitSchema(many=True))
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Your visits, newest first."""
        rows = checkins.visits(db_session(), actor=current_principal(), limit=query["limit"])
        fields = ("id", "venue_id", "region_code", "arrived_at", "departed_at", "checked_out")
        extra = ("admitted", "color")
        return [
            {**{f: getattr(c, f) for f in (*fields, *extra)}, "venue_name": name}
            for c, name in rows
        ]


@blp.route("/<uuid:checkin_id>/checkout")
class CheckOut(MethodView):
    @allow(Role.RESIDENT)
    @blp.response(200, CheckInSchema)
    def post(self, checkin_id: uuid.UUID) -> CheckIn:
        """Leave the venue now (otherwise the visit lasts the default duration)."""
        return checkins.check_out(
            db_session(), actor=current_principal(), checkin_id=checkin_id, now=now()
        )
