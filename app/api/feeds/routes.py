"""Data feeds from labs, travel and contact tracing: batches accepted at once, applied by jobs."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from app.api.blueprint import Blueprint
from app.api.common import body_limit
from app.api.feeds.schemas import BatchSchema, FeedUploadSchema, IngestResultSchema
from app.extensions import container, db_session, now
from app.models import FeedBatch, Role
from app.security.access import allow, current_principal
from app.services import feeds

blp = Blueprint("feeds", __name__, url_prefix="/v1/feeds", description="Data feeds")


def _ingest(kind: str, data: dict[str, Any]) -> feeds.IngestResult:
    c = container()
    return feeds.ingest(
        db_session(), c.settings, current_principal(), kind, data["records"], now(), c.relay
    )


@blp.route("/tests")
class TestsFeed(MethodView):
    @allow(Role.OFFICIAL, scopes=("feed:tests",))
    @body_limit("feed_max_bytes")
    @blp.arguments(FeedUploadSchema)
    @blp.response(202, IngestResultSchema)
    def post(self, data: dict[str, Any]) -> feeds.IngestResult:
        """Lab results: record_id, id_number, kind (pcr|antigen), result, sampled_at."""
        return _ingest("tests", data)


@blp.route("/travel")
class TravelFeed(MethodView):
    @allow(Role.OFFICIAL, scopes=("feed:travel",))
    @body_limit("feed_max_bytes")
    @blp.arguments(FeedUploadSchema)
    @blp.response(202, IngestResultSchema)
    def post(self, data: dict[str, Any]) -> feeds.IngestResult:
        """Stays: record_id, id_number, region_code, arrived_at, departed_at (optional)."""
        return _ingest("travel", data)


@blp.route("/contacts")
class ContactsFeed(MethodView):
    @allow(Role.OFFICIAL, scopes=("feed:contacts",))
    @body_limit("feed_max_bytes")
    @blp.arguments(FeedUploadSchema)
    @blp.response(202, IngestResultSchema)
    def post(self, data: dict[str, Any]) -> feeds.IngestResult:
        """Exposures: record_id, id_number, kind (close|secondary), exposed_at."""
        return _ingest("contacts", data)


@blp.route("/batches/<uuid:batch_id>")
class Batch(MethodView):
    @allow(Role.OFFICIAL, Role.ADMIN, scopes=("feed:tests", "feed:travel", "feed:contacts"))
    @blp.response(200, BatchSchema)
    def get(self, batch_id: uuid.UUID) -> FeedBatch:
        """A batch's status (queued, applying, applied, failed) and counts."""
        return feeds.get_batch(db_session(), current_principal(), batch_id)
