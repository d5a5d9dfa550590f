"""Officials set region risk levels; only the people whose stays overlap are recomputed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask.views import MethodView

from app.api.blueprint import Blueprint
from app.api.regions.schemas import RegionDetailSchema, RegionInputSchema, RegionSchema
from app.extensions import db_session, now
from app.models import Region, Role
from app.security.access import allow, current_principal
from app.services import regions

blp = Blueprint("regions", __name__, url_prefix="/v1/regions", description="Regions")


@blp.route("")
class Regions(MethodView):
    @allow(Role.OFFICIAL, Role.ADMIN)
    @blp.response(200, RegionSchema(many=True))
    def get(self) -> Sequence[Region]:
        """Every region with its current level."""
        return regions.list_regions(db_session())


@blp.route("/<string:code>")
class RegionItem(MethodView):
    @allow(Role.OFFICIAL, Role.ADMIN)
    @blp.response(200, RegionDetailSchema)
    def get(self, code: str) -> dict[str, Any]:
        """A region with its level history."""
        region, history = regions.get_region(db_session(), code=code)
        fields = ("code", "name", "level", "updated_at")
        return {name: getattr(region, name) for name in fields} | {"history": history}

    @allow(Role.OFFICIAL, Role.ADMIN)
    @blp.arguments(RegionInputSchema)
    @blp.response(200, RegionSchema)
    def put(self, data: dict[str, Any], code: str) -> Region:
        """Create a region or set its level from `effective_from` (audited)."""
        return regions.put_region(
            db_session(),
            actor=current_principal(),
            code=code,
            name=data["name"],
            level=data["level"],
            effective_from=data["effective_from"],
            now=now(),
        )
