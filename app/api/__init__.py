"""HTTP API blueprints, one package per area."""

from __future__ import annotations

from flask_smorest import Api


def register_blueprints(api: Api) -> None:
    """Register every blueprint (after api.init_app)."""
    from app.api.accounts.routes import blp as accounts
    from app.api.apikeys.routes import blp as apikeys
    from app.api.auth.routes import blp as auth
    from app.api.health.routes import blp as health
    from app.api.me.routes import blp as me
    from app.api.persons.routes import blp as persons

    for blueprint in (health, auth, accounts, apikeys, me, persons):
        api.register_blueprint(blueprint)
