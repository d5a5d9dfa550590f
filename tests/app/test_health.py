"""Liveness and readiness probes."""

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from app.db import Database


@pytest.fixture
def broken_redis(app: Flask) -> Iterator[None]:
    container = app.extensions["healthcode"]
    original = container.redis
    container.redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    yield
    container.redis = original


@pytest.fixture
def broken_database(app: Flask) -> Iterator[None]:
    container = app.extensions["healthcode"]
    original = container.db
    container.db = Database(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
    )
    yield
    container.db = original


def test_healthz_needs_nothing(
    client: FlaskClient, broken_redis: None, broken_database: None
) -> None:
    assert client.get("/healthz").json == {"status": "ok"}


def test_readyz_names_failed_checks(client: FlaskClient, broken_redis: None) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert "redis" in response.json["failed"]
    assert response.json["checks"]["database"] == "ok"


def test_readyz_reports_database_down(client: FlaskClient, broken_database: None) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    assert {"database", "migrations"} <= set(response.json["failed"])


def test_readyz_checks_pass_when_everything_is_up(client: FlaskClient) -> None:
    checks = client.get("/readyz").json["checks"]
    assert checks["database"] == checks["migrations"] == checks["redis"] == "ok"


def test_readyz_names_no_host_port_or_driver_message(
    client: FlaskClient, broken_redis: None, broken_database: None
) -> None:
    body = client.get("/readyz").get_data(as_text=True)
    assert "127.0.0.1" not in body and ":1" not in body and "psycopg" not in body.lower()
    checks = client.get("/readyz").json["checks"]
    assert checks["database"] == checks["redis"] == "unavailable"


def test_outage_answers(
    app: Flask, client: FlaskClient, login: Callable[..., dict[str, str]]
) -> None:
    headers = login("official")
    container = app.extensions["healthcode"]
    original = container.db
    container.db = Database(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
    )
    try:
        response = client.get("/v1/regions", headers=headers)
    finally:
        container.db = original
    assert response.status_code == 503, response.json
    assert response.content_type == "application/problem+json"
    assert response.headers["Retry-After"] == "5"
    assert response.json["dependency"] == "database"
    assert "127.0.0.1" not in response.get_data(as_text=True)


def test_otp_check_fails_closed_without_redis(client: FlaskClient, broken_redis: None) -> None:
    response = client.post("/v1/auth/token", json={"phone": "+8613800000000", "otp": "123456"})
    assert response.status_code == 503, response.json
    assert int(response.headers["Retry-After"]) > 0


def test_no_cookie_sessions(app: Flask, client: FlaskClient) -> None:
    """Callers carry bearer tokens: no request opens a signed-cookie session or sets a cookie,
    and code that tries to keep something in `flask.session` fails loudly."""
    import flask

    client.set_cookie("session", "eyJ4IjoxfQ.forged.signature")
    response = client.get("/healthz")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    with app.test_request_context("/healthz"):
        app.preprocess_request()
        assert not flask.session and flask.session.get("x") is None  # the cookie is ignored
        with pytest.raises(RuntimeError, match="session is unavailable"):
            flask.session["x"] = 1


def test_limits_are_checked_by_their_views_only(app: Flask) -> None:
    """No default or application limits: Flask-Limiter's per-request check is not installed
    (the views' own limits are tested in test_auth_otp.py)."""
    from app.extensions import limiter

    assert limiter._check_request_limit not in app.before_request_funcs.get(None, [])
    assert not limiter.limit_manager.default_limits
