"""Prometheus metrics at /metrics, for an admin or an API key with scope `metrics`."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView

from app import metrics
from app.api.blueprint import Blueprint
from app.extensions import container, now
from app.feed_kinds import METRICS_SCOPE
from app.models import Role
from app.security.access import allow
from app.services.metrics import StateCollector

blp = Blueprint("metrics", __name__, description="Prometheus metrics")


@blp.route("/metrics")
class Metrics(MethodView):
    @allow(Role.ADMIN, scopes=(METRICS_SCOPE,))
    @blp.response(200, content_type=metrics.CONTENT_TYPE)
    def get(self) -> Response:
        """Prometheus text format: request latency, queues, outbox, lag, batches, codes."""
        c = container()
        state = StateCollector(
            c.db.session, redis=c.redis, queue_names=(c.settings.queue_name,), now=now()
        )
        return metrics.exposition(state)
