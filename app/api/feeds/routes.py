"""Data feeds (a route per kind in `app.feed_kinds.UPLOADS`): accepted at once, applied by jobs."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from app.api.blueprint import Blueprint
from app.api.common import body_limit
from app.api.feeds.schemas import BatchSchema, FeedUploadSchema, IngestResultSchema
from app.extensions import container, db_session, now
from app.feed_kinds import UPLOADS, FeedSpec
from app.models import FeedBatch, Role
from app.security.access import allow, current_principal
from app.services import feeds

blp = Blueprint("feeds", __name__, url_prefix="/v1/feeds", description="Data feeds")


def _feed_view(spec: FeedSpec) -> type[MethodView]:
    """The upload endpoint of one feed kind."""

    def post(_self: MethodView, data: dict[str, Any]) -> feeds.IngestResult:
        return feeds.ingest(
            db_session(),
            settings=container().settings,
            actor=current_principal(),
            kind=spec.kind,
            records=data["records"],
            now=now(),
        )

    post.__doc__ = spec.summary
    post = allow(Role.OFFICIAL, scopes=(spec.scope,))(
        body_limit("feed_max_bytes")(
            blp.arguments(FeedUploadSchema)(blp.response(202, IngestResultSchema)(post))
        )
    )
    name = f"{spec.kind.title()}Feed"
    return type(name, (MethodView,), {"post": post, "__doc__": spec.summary})


for _spec in UPLOADS.values():
    blp.route(f"/{_spec.kind}")(_feed_view(_spec))


@blp.route("/batches/<uuid:batch_id>")
class Batch(MethodView):
    @allow(Role.OFFICIAL, Role.ADMIN, scopes=tuple(spec.scope for spec in UPLOADS.values()))
    @blp.response(200, BatchSchema)
    def get(self, batch_id: uuid.UUID) -> FeedBatch:
        """A batch's status (queued, applying, applied, failed) and counts."""
        return feeds.get_batch(db_session(), actor=current_principal(), batch_id=batch_id)
