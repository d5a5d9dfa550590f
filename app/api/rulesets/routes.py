"""Officials draft rule sets, preview their impact, and publish them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask.views import MethodView

from app.api.blueprint import Blueprint
from app.api.rulesets.schemas import JobStartedSchema, RuleSetInputSchema, RuleSetSchema
from app.extensions import container, db_session, now
from app.models import JobRecord, Role, RuleSetRecord
from app.security.access import allow, current_principal
from app.services import jobs, rulesets

blp = Blueprint("rulesets", __name__, url_prefix="/v1/rulesets", description="Risk rules")
OFFICIALS = (Role.OFFICIAL, Role.ADMIN)


@blp.route("")
class RuleSets(MethodView):
    @allow(*OFFICIALS)
    @blp.response(200, RuleSetSchema(many=True))
    def get(self) -> Sequence[RuleSetRecord]:
        """Every rule set, newest first."""
        return rulesets.list_rulesets(db_session())

    @allow(*OFFICIALS)
    @blp.arguments(RuleSetInputSchema)
    @blp.response(201, RuleSetSchema)
    def post(self, data: dict[str, Any]) -> RuleSetRecord:
        """Create a draft; an invalid one is a 422 listing every error with a JSON pointer."""
        description = data.pop("description", None)
        return rulesets.create_draft(
            db_session(),
            actor=current_principal(),
            document=data,
            now=now(),
            description=description,
        )


@blp.route("/active")
class ActiveRuleSet(MethodView):
    @allow(*OFFICIALS)
    @blp.response(200, RuleSetSchema)
    def get(self) -> RuleSetRecord:
        """The rule set in force."""
        return rulesets.active_record(db_session())


@blp.route("/<int:version>")
class RuleSetItem(MethodView):
    @allow(*OFFICIALS)
    @blp.response(200, RuleSetSchema)
    def get(self, version: int) -> RuleSetRecord:
        """One rule set."""
        return rulesets.get(db_session(), version=version)


@blp.route("/<int:version>/dry-run")
class DryRun(MethodView):
    @allow(*OFFICIALS)
    @blp.response(202, JobStartedSchema)
    def post(self, version: int) -> JobRecord:
        """Compute the impact on everyone (counts and transitions) without changing anything."""
        c = container()
        return jobs.start_dry_run(
            db_session(),
            actor=current_principal(),
            version=version,
            now=now(),
            chunk_people=c.settings.recompute_chunk,
        )


@blp.route("/<int:version>/publish")
class Publish(MethodView):
    @allow(*OFFICIALS)
    @blp.response(202, JobStartedSchema)
    def post(self, version: int) -> JobRecord:
        """Activate this rule set and recompute everyone through the workers (audited)."""
        c = container()
        return jobs.start_publish(
            db_session(),
            actor=current_principal(),
            version=version,
            now=now(),
            chunk_people=c.settings.recompute_chunk,
        )
