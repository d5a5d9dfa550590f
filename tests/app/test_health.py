"""Liveness and readiness probes."""

from collections.abc import Iterator

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
