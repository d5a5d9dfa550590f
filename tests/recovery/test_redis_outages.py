"""Redis lost with batches queued, and Redis frozen: real processes on a private Redis."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import func, select

from app.db import utcnow
from app.jobs import get_queue
from app.models import FeedBatch
from app.services.outbox import Relay
from app.serving import gunicorn_command

from .conftest import PrivateRedis, Procs, free_port, wait_for

TARGET = 60.0


@pytest.fixture
def relay_to(app: Flask) -> Iterator[Callable[[str], None]]:
    """Make the test app send outbox entries to another Redis."""
    container = app.extensions["healthcode"]
    original = container.relay

    def swap(url: str) -> None:
        container.relay = Relay(
            Redis.from_url(url, socket_timeout=1), container.settings.queue_name
        )

    yield swap
    container.relay = original


def _batch(client: FlaskClient, headers: dict[str, str], n: int) -> str:
    sampled = (utcnow() - timedelta(days=1)).isoformat()
    records = [
        {
            "record_id": f"lost-{n}-{i}",
            "id_number": f"LOST{n:02d}{i:04d}",
            "kind": "pcr",
            "result": "positive",
            "sampled_at": sampled,
        }
        for i in range(20)
    ]
    response = client.post("/v1/feeds/tests", json={"records": records}, headers=headers)
    assert response.status_code == 202, response.json
    return str(response.json["batch_id"])


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_redis_lost_with_batches_queued_applies_them_within_a_minute_of_its_return(
    app: Flask,
    client: FlaskClient,
    procs: Procs,
    private_redis: PrivateRedis,
    relay_to: Callable[[str], None],
    login: Callable[[str], dict[str, str]],
) -> None:
    container = app.extensions["healthcode"]
    env = {"HEALTHCODE_REDIS_URL": private_redis.url}
    scheduler = procs.flask("scheduler", "scheduler", **env)
    relay_to(private_redis.url)
    official = login("official")
    for n in range(5):
        _batch(client, official, n)
    queue = get_queue(Redis.from_url(private_redis.url), container.settings.queue_name)
    assert queue.count == 5  # queued, no worker yet ... and Redis dies with them:
    private_redis.kill()
    worker = procs.flask("worker", "worker", **env)
    time.sleep(3)  # both keep running without Redis
    assert scheduler.poll() is None and worker.poll() is None
    private_redis.start()  # back, empty
    back = time.monotonic()

    def applied() -> bool:
        with container.db.session() as s:
            done = select(func.count()).select_from(FeedBatch).where(FeedBatch.status == "applied")
            return s.scalar(done) == 5

    wait_for(applied, TARGET, 0.2)
    recovery = time.monotonic() - back
    print(f"\nRedis lost with 5 batches queued: applied {recovery:.1f} s after it returned")
    assert recovery < TARGET
    assert scheduler.poll() is None and worker.poll() is None


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_frozen_redis_times_out_fast_and_fails_closed_only_where_needed(
    app: Flask,
    procs: Procs,
    private_redis: PrivateRedis,
    make_staff: Callable[[str], str],
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    procs.start(
        "api", *gunicorn_command(f"127.0.0.1:{port}"), HEALTHCODE_REDIS_URL=private_redis.url
    )
    wait_for(lambda: _get(base + "/readyz") == 200, 60, 0.2)
    username = make_staff("official")
    login = requests.post(
        base + "/v1/auth/login", json={"username": username, "password": "password-123"}, timeout=5
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    private_redis.signal(signal.SIGSTOP)
    try:
        # Not needing Redis: not slowed.
        for path in ("/healthz", "/v1/regions", "/v1/rulesets/active"):
            started = time.monotonic()
            response = requests.get(base + path, headers=headers, timeout=10)
            took = time.monotonic() - started
            assert response.status_code == 200, (path, response.text)
            assert took < 0.5, (path, took)
        # OTP and rate limits: fail closed with a 503 within about a second.
        for path, body in (
            ("/v1/auth/otp", {"phone": "+8613800000009"}),
            ("/v1/auth/login", {"username": username, "password": "password-123"}),
        ):
            started = time.monotonic()
            response = requests.post(base + path, json=body, timeout=10)
            took = time.monotonic() - started
            assert response.status_code == 503, (path, response.text)
            assert response.headers["Content-Type"] == "application/problem+json"
            assert int(response.headers["Retry-After"]) > 0
            assert took < 2.5, (path, took)
            print(f"\nfrozen Redis: {path} answered 503 in {took:.2f} s")
        started = time.monotonic()
        ready = requests.get(base + "/readyz", timeout=10)
        assert ready.status_code == 503 and ready.json()["failed"] == ["redis"]
        assert time.monotonic() - started < 2.5
    finally:
        private_redis.signal(signal.SIGCONT)
    wait_for(lambda: _get(base + "/readyz") == 200, 30, 0.2)


def _get(url: str) -> int:
    try:
        return requests.get(url, timeout=3).status_code
    except requests.RequestException:
        return 0
