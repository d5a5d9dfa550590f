"""Statistics for officials: people per colour, queue depth, failures, recompute lag."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.api.blueprint import Blueprint
from app.extensions import container, db_session, now
from app.models import Role
from app.security.access import allow
from app.services import stats

blp = Blueprint("stats", __name__, url_prefix="/v1/stats", description="Statistics")


@blp.route("")
class Stats(MethodView):
    @allow(Role.OFFICIAL, Role.ADMIN)
    @blp.response(200)
    def get(self) -> dict[str, Any]:
        """People per colour, queue depth, failed jobs and batches, and recompute lag."""
        c = container()
        return stats.stats(db_session(), redis=c.redis, queue_name=c.settings.queue_name, now=now())
