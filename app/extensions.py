"""Extension objects created unbound, and the per-app service container."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from flask import Flask, current_app, g, request
from flask.sessions import SessionInterface, SessionMixin
from flask.typing import ResponseReturnValue
from flask.wrappers import Request, Response
from flask_limiter import Limiter
from sqlalchemy.orm import Session

from app.problems import ProblemApi
from app.unit_of_work import UnitOfWork, unit_of_work

if TYPE_CHECKING:
    from redis import Redis

    from app.config import Settings
    from app.db import Database
    from app.live_cache import LiveCache
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


def init_limiter(app: Flask) -> None:
    """Bind the limiter. Every limit is declared on its view (`@limiter.limit`), whose wrapper
    checks it; with no default, application or blueprint limits, Flask-Limiter's own
    before_request check only finds nothing to do, at a seventh of a /healthz request's time,
    so it is not installed (the OTP and login tests show the views' limits still hold)."""
    limiter.init_app(app)
    manager = limiter.limit_manager
    if not (manager.default_limits or manager.application_limits or manager._blueprint_limits):
        app.before_request_funcs[None].remove(limiter._check_request_limit)


class NoSessions(SessionInterface):
    """No cookie sessions: callers authenticate with bearer tokens on every request. Flask's
    default opened a signed-cookie session per request (a serializer made each time) that
    nothing read; writing to `flask.session` is an error instead of a silent cookie."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin:
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Nothing to save."""


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
    live: LiveCache

    def unit_of_work(self) -> AbstractContextManager[UnitOfWork]:
        """A unit of work for a job or a command: committed (then acted on) at the end."""
        return unit_of_work(self.db.sessionmaker, relay=self.relay)


def container() -> Container:
    """The current app's container."""
    return current_app.extensions["healthcode"]  # type: ignore[no-any-return]


def now() -> datetime:
    """The current time from the app's clock (tests may move it)."""
    return container().clock()


def request_unit_of_work() -> UnitOfWork:
    """The request's unit of work, opened on first use, finished by `finish_request`."""
    uow: UnitOfWork | None = g.get("unit_of_work")
    if uow is None:
        c = container()
        uow = UnitOfWork(c.db.sessionmaker(), relay=c.relay)
        g.unit_of_work = uow
    return uow


def db_session() -> Session:
    """The request's database session (services flush; the request's unit commits)."""
    return request_unit_of_work().session


def finish_request(error: BaseException | None) -> None:
    """Commit the request's unit of work (or roll it back after an error), if it was used."""
    uow: UnitOfWork | None = g.get("unit_of_work")
    if uow is not None:
        uow.finish(error)


def close_request() -> None:
    """Close the request's session (teardown)."""
    uow: UnitOfWork | None = g.pop("unit_of_work", None)
    if uow is not None:
        uow.close()


class HealthcodeFlask(Flask):
    """Flask with one unit of work per request, committed when the view returns."""

    session_interface = NoSessions()

    def dispatch_request(self) -> ResponseReturnValue:
        """Run the view, then commit its unit of work (or roll it back if it raised)."""
        try:
            response = super().dispatch_request()
        except BaseException as exc:
            finish_request(exc)
            raise
        finish_request(None)
        return response
