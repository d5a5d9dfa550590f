"""Readiness checks: database, migrations, Redis, signing key."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import text

from app.extensions import Container
from app.migrate import current_revisions, head_revisions
from app.services.keys import BUNDLE, CODE

Check = Callable[[Container], str | None]
log = logging.getLogger("healthcode.health")


def _database(c: Container) -> str | None:
    with c.db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return None


def _migrations(c: Container) -> str | None:
    current, heads = current_revisions(c.db.engine), head_revisions()
    if current != heads:
        return "not at head: run 'flask --app wsgi db upgrade'"
    return None


def _redis(c: Container) -> str | None:
    c.redis.ping()
    return None


def _signing_key(c: Container) -> str | None:
    with c.db.session() as session:
        for purpose in (CODE, BUNDLE):
            c.keyring.active(session, purpose)  # raises when missing or undecryptable
    return None


CHECKS: dict[str, Check] = {
    "database": _database,
    "migrations": _migrations,
    "redis": _redis,
    "signing_key": _signing_key,
}


def readiness(c: Container) -> dict[str, str]:
    """Run every check; each maps to 'ok' or a short reason that names no host, port or
    driver message (those go to the log, which only operators read)."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            failure = check(c)
        except Exception as exc:  # any failure of a dependency means not ready
            log.warning("readiness check %s failed: %s", name, exc)
            failure = "unavailable"
        results[name] = "ok" if failure is None else failure
    return results
