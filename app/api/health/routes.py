"""Liveness and readiness probes (outside /v1, no authentication)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from app.api.blueprint import Blueprint
from app.extensions import container
from app.problems import PROBLEM_MIME, ProblemSchema, problem
from app.security.access import allow
from app.services.health import readiness

blp = Blueprint("health", __name__, description="Probes")


@blp.route("/healthz")
class Liveness(MethodView):
    @allow(public=True)
    @blp.response(200)
    def get(self) -> dict[str, str]:
        """Liveness: the process answers; no dependencies are checked."""
        return {"status": "ok"}


@blp.route("/readyz")
class Readiness(MethodView):
    @allow(public=True)
    @blp.response(200)
    @blp.alt_response(
        503,
        schema=ProblemSchema,
        content_type=PROBLEM_MIME,
        description="A dependency is not ready; `failed` and `checks` name it",
    )
    def get(self) -> dict[str, Any] | Response:
        """Readiness: database, migrations at head, Redis and the signing key."""
        checks = readiness(container())
        failed = sorted(name for name, result in checks.items() if result != "ok")
        if failed:
            detail = "Failed checks: " + ", ".join(failed)
            return problem(503, "Not ready", detail, failed=failed, checks=checks)
        return {"status": "ok", "checks": checks}
