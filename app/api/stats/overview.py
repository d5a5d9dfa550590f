"""People per colour by region and over time, for the officials' dashboard."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from app.api.blueprint import Blueprint
from app.api.common import StrictSchema
from app.extensions import db_session, now
from app.models import Role
from app.security.access import allow
from app.services import overview

blp = Blueprint("stats_overview", __name__, url_prefix="/v1/stats", description="Statistics")


class ColoursSchema(ma.Schema):
    green = ma.fields.Integer()
    yellow = ma.fields.Integer()
    red = ma.fields.Integer()


class RegionColoursSchema(ma.Schema):
    region = ma.fields.String(metadata={"description": "Region of the latest stay; '' for none."})
    colors = ma.fields.Nested(ColoursSchema)


class PointSchema(ma.Schema):
    at = ma.fields.DateTime()
    colors = ma.fields.Nested(ColoursSchema)


class HistoryQuerySchema(StrictSchema):
    days = ma.fields.Integer(load_default=14, validate=ma.validate.Range(min=1, max=90))


@blp.route("/regions")
class ColoursByRegion(MethodView):
    @allow(Role.OFFICIAL, Role.ADMIN)
    @blp.response(200, RegionColoursSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """People per colour by the region of their latest stay."""
        return overview.colours_by_region(db_session())


@blp.route("/history")
class ColoursOverTime(MethodView):
    @allow(Role.OFFICIAL, Role.ADMIN)
    @blp.arguments(HistoryQuerySchema, location="query")
    @blp.response(200, PointSchema(many=True))
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """People per colour at the end of each of the last `days` days, oldest first."""
        return overview.colours_over_time(db_session(), now=now(), days=query["days"])
