"""Shared fixtures: a real database migrated by Alembic and a real Redis.

Backends: HEALTHCODE_TEST_DATABASE_URL (default: a SQLite file) and HEALTHCODE_TEST_REDIS_URL
(default: an embedded redis-server). `make test` runs the suite once on PostgreSQL and Redis
at 127.0.0.1, and once on the embedded defaults.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent


def _is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database migrated to head by Alembic."""
    from app.migrate import upgrade

    url = os.environ.get("HEALTHCODE_TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    if _is_postgres(url):
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis: the configured one, or an embedded server for this session."""
    url = os.environ.get("HEALTHCODE_TEST_REDIS_URL")
    if url:
        Redis.from_url(url).flushdb()
        yield url
        return
    from app.embedded import EmbeddedRedis

    with EmbeddedRedis() as embedded:
        yield embedded.url


def make_config(database_url: str, redis_url: str, **overrides: Any) -> dict[str, Any]:
    """Settings overrides for a test app."""
    config: dict[str, Any] = {
        "ENV": "testing",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOG_JSON": True,
        "OTP_RATE_LIMIT_IP": "1000 per minute",
        "OTP_RATE_LIMIT_PHONE": "100 per minute",
        "LOGIN_RATE_LIMIT": "1000 per minute",
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def app_factory(database_url: str, redis_url: str) -> Callable[..., Flask]:
    """Build an app on the test backends with extra overrides.

    The rate limiter is process-wide (as in production, one app per process), so every
    app built here must keep the same REDIS_URL.
    """
    from app.factory import create_app

    def factory(**overrides: Any) -> Flask:
        return create_app(make_config(database_url, redis_url, **overrides))

    return factory


@pytest.fixture(scope="session")
def _session_app(app_factory: Callable[..., Flask]) -> Flask:
    return app_factory()


def _wipe(app: Flask) -> None:
    from app.db import Base
    from app.live_cache import EVERYTHING

    container = app.extensions["healthcode"]
    engine = container.db.engine
    tables = [t for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            conn.execute(text(f"TRUNCATE {names} CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
    container.redis.flushdb()
    container.live.drop([EVERYTHING])  # the rows it cached are gone without a commit saying so


@pytest.fixture
def app(_session_app: Flask) -> Iterator[Flask]:
    """The app, on a clean database and Redis for each test."""
    _wipe(_session_app)
    from app.db import utcnow
    from app.services.keys import init_keys
    from app.services.rulesets import init_default

    container = _session_app.extensions["healthcode"]
    container.clock = utcnow
    with container.db.session() as session:
        init_keys(session, keyring=container.keyring, settings=container.settings, now=utcnow())
        init_default(session, now=utcnow())
    yield _session_app
    container.clock = utcnow


@pytest.fixture
def settings_override(app: Flask) -> Iterator[Callable[..., None]]:
    """Change settings of the test app for one test (the app is shared, not rebuilt)."""
    from dataclasses import replace

    container = app.extensions["healthcode"]
    original = container.settings

    def override(**changes: Any) -> None:
        container.settings = replace(container.settings, **changes)

    yield override
    container.settings = original


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def make_staff(app: Flask) -> Callable[..., str]:
    """Create a staff account directly; returns its username (password 'password-123')."""
    from app.db import utcnow
    from app.services.accounts import create_staff

    def factory(role: str, username: str | None = None) -> str:
        username = username or f"{role.replace('_', '')}{uuid.uuid4().hex[:6]}"
        with app.extensions["healthcode"].db.session() as session:
            create_staff(
                session, username=username, password="password-123", role=role, now=utcnow()
            )
        return username

    return factory


@pytest.fixture
def login(client: FlaskClient, make_staff: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """Log in a new staff member of a role; returns the Authorization header."""

    def factory(role: str) -> dict[str, str]:
        username = make_staff(role)
        response = client.post(
            "/v1/auth/login", json={"username": username, "password": "password-123"}
        )
        assert response.status_code == 200, response.json
        return {"Authorization": f"Bearer {response.json['access_token']}"}

    return factory


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Capture the app's own log records (its logger does not propagate to root)."""
    import logging

    logger = logging.getLogger("healthcode")
    logger.addHandler(caplog.handler)
    caplog.set_level("INFO", logger="healthcode")
    yield caplog
    logger.removeHandler(caplog.handler)


def otp_from_logs(caplog: pytest.LogCaptureFixture, phone: str) -> str:
    """The code the console SMS backend logged for a phone (the newest one)."""
    for record in reversed(caplog.records):
        message = record.getMessage()
        if record.name == "healthcode.sms" and phone in message:
            return message.split("login code is ")[1][:6]
    raise AssertionError(f"no SMS logged for {phone}")


@pytest.fixture
def otp(logs: pytest.LogCaptureFixture) -> Callable[[str], str]:
    """Read the newest login code sent to a phone from the SMS log line."""
    return lambda phone: otp_from_logs(logs, phone)


@pytest.fixture
def resident(client: FlaskClient, logs: pytest.LogCaptureFixture) -> Callable[..., dict[str, str]]:
    """Log in a resident by phone (through the real OTP flow); returns the header."""

    def factory(phone: str | None = None) -> dict[str, str]:
        phone = phone or f"+86138{uuid.uuid4().int % 10**8:08d}"
        assert client.post("/v1/auth/otp", json={"phone": phone}).status_code == 202
        code = otp_from_logs(logs, phone)
        response = client.post("/v1/auth/token", json={"phone": phone, "otp": code})
        assert response.status_code == 200, response.json
        return {"Authorization": f"Bearer {response.json['access_token']}"}

    return factory


@pytest.fixture
def run_jobs(app: Flask) -> Callable[[], int]:
    """Run queued RQ jobs to completion with a real SimpleWorker on the real Redis."""
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    from app.jobs import get_queue

    def run() -> int:
        container = app.extensions["healthcode"]
        queue = get_queue(container.redis, container.settings.queue_name)
        before = queue.count
        with app.app_context():
            SimpleWorker([queue], connection=container.redis, serializer=JSONSerializer).work(
                burst=True, with_scheduler=False
            )
        return before

    return run
