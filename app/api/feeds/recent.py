"""Recent feed batches for the officials' console, with their status and rejected records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import marshmallow as ma
from flask.views import MethodView

from app.api.blueprint import Blueprint
from app.api.common import StrictSchema
from app.api.feeds.schemas import BatchSchema
from app.extensions import db_session
from app.models import FeedBatch, Role
from app.security.access import allow
from app.services import overview

blp = Blueprint("feed_batches", __name__, url_prefix="/v1/feeds", description="Data feeds")


class RecentQuerySchema(StrictSchema):
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=500))


@blp.route("/batches")
class RecentBatches(MethodView):
    @allow(Role.OFFICIAL, Role.ADMIN)
    @blp.arguments(RecentQuerySchema, location="query")
    @blp.response(200, BatchSchema(many=True))
    def get(self, query: dict[str, Any]) -> Sequence[FeedBatch]:
        """The latest batches of every feed, newest first."""
        return overview.recent_batches(db_session(), limit=query["limit"])
