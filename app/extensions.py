"""Extension objects created unbound, and the per-app service container."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from flask import current_app, g, request
from flask_limiter import Limiter
from sqlalchemy.orm import Session

from app.problems import ProblemApi

if TYPE_CHECKING:
    from redis import Redis

    from app.config import Settings
    from app.db import Database
    from app.services.keys import Keyring
    from app.services.outbox import Relay
    from app.sms import SmsBackend


def client_address() -> str:
    """The client's address, trusting X-Forwarded-For only behind configured proxies."""
    hops = container().settings.trusted_proxies
    if hops > 0:
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.remote_addr or "unknown"


limiter = Limiter(key_func=client_address)


@dataclass
class Container:
    """Everything the app wires together once at start-up."""

    settings: Settings
    db: Database
    redis: Redis
    api: ProblemApi
    sms: SmsBackend
    clock: Callable[[], datetime]
    keyring: Keyring
    relay: Relay


def container() -> Container:
    """The current app's container."""
    return current_app.extensions["healthcode"]  # type: ignore[no-any-return]


def now() -> datetime:
    """The current time from the app's clock (tests may move it)."""
    return container().clock()


def db_session() -> Session:
    """The request's database session, opened on first use and closed at teardown."""
    session: Session | None = g.get("db_session")
    if session is None:
        session = container().db.sessionmaker()
        g.db_session = session
    return session
