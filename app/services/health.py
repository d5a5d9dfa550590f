"""Readiness checks: database, migrations, Redis, signing key."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text

from app.extensions import Container
from app.migrate import current_revisions, head_revisions
from app.services.keys import BUNDLE, CODE

Check = Callable[[Container], str | None]


def _database(c: Container) -> str | None:
    with c.db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return None


def _migrations(c: Container) -> str | None:
    current, heads = current_revisions(c.db.engine), head_revisions()
    if current != heads:
        return f"database at {sorted(current) or 'empty'}, code expects {sorted(heads)}"
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
    """Run every check; each maps to 'ok' or the reason it failed."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            failure = check(c)
        except Exception as exc:  # any failure of a dependency means not ready
            failure = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        results[name] = "ok" if failure is None else failure
    return results
