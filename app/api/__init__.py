"""HTTP API blueprints, one package per area."""

from __future__ import annotations

from flask_smorest import Api

from app.api.accounts.routes import blp as accounts
from app.api.apikeys.routes import blp as apikeys
from app.api.auth.routes import blp as auth
from app.api.exposures.routes import blp as exposures
from app.api.feeds.recent import blp as feed_batches
from app.api.feeds.routes import blp as feeds
from app.api.health.routes import blp as health
from app.api.identity.routes import blp as identity
from app.api.jobs.routes import blp as jobs
from app.api.keys.routes import blp as keys
from app.api.me.checkins import blp as checkins
from app.api.me.routes import blp as me
from app.api.metrics.routes import blp as metrics
from app.api.persons.history import blp as person_history
from app.api.persons.routes import blp as persons
from app.api.regions.routes import blp as regions
from app.api.rulesets.routes import blp as rulesets
from app.api.stats.overview import blp as stats_overview
from app.api.stats.routes import blp as stats
from app.api.trust.routes import blp as trust
from app.api.venues.entries import blp as venue_entries
from app.api.venues.routes import blp as venues
from app.api.verify.routes import blp as verify


def register_blueprints(api: Api) -> None:
    """Register every blueprint (after api.init_app)."""

    for blueprint in (
        health,
        auth,
        accounts,
        apikeys,
        me,
        identity,
        persons,
        person_history,
        verify,
        trust,
        keys,
        feeds,
        feed_batches,
        regions,
        rulesets,
        jobs,
        stats,
        stats_overview,
        venues,
        venue_entries,
        checkins,
        exposures,
        metrics,
    ):
        api.register_blueprint(blueprint)
