"""kill -9 of a worker and its work-horse mid-batch: applied within 60 s, exactly once.

The running job holds a lease it renews (app.jobs.lease); the killed one stops renewing,
the scheduler's relay sees the job `started` with a lapsed lease and sends the outbox entry
again; the restarted worker applies it. The database claim keeps the effects exactly-once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.db import utcnow
from app.models import FeedBatch, OutboxEntry, PersonStatus, StatusChange

from .conftest import Procs, wait_for

PEOPLE = 4000
TARGET = 60.0


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_worker_killed_mid_batch_applies_within_a_minute_exactly_once(
    app: Flask, client: FlaskClient, procs: Procs, login: Callable[[str], dict[str, str]]
) -> None:
    container = app.extensions["healthcode"]
    sampled = (utcnow() - timedelta(days=1)).isoformat()
    records = [
        {
            "record_id": f"crash-{i}",
            "id_number": f"PASS{i:06d}",
            "kind": "pcr",
            "result": "positive",
            "sampled_at": sampled,
        }
        for i in range(PEOPLE)
    ]
    procs.flask("scheduler", "scheduler")
    worker = procs.flask("worker", "worker")
    response = client.post("/v1/feeds/tests", json={"records": records}, headers=login("official"))
    assert response.status_code == 202 and response.json["accepted"] == PEOPLE

    def status() -> str:
        with container.db.session() as s:
            return str(s.scalar(select(FeedBatch.status)))

    wait_for(lambda: status() != "queued", 60, 0.01)
    assert status() == "applying"  # the job is running now ... and the machine dies:
    procs.kill_tree(worker)
    killed = time.monotonic()
    with container.db.session() as s:
        assert s.scalar(select(OutboxEntry.done_at)) is None
        assert s.scalar(select(func.count()).select_from(PersonStatus)) == 0  # rolled back
    procs.flask("worker", "worker")  # its supervisor starts it again
    wait_for(lambda: status() == "applied", TARGET, 0.2)
    recovery = time.monotonic() - killed
    print(f"\nworker killed mid-batch: applied {recovery:.1f} s after the kill")
    assert recovery < TARGET
    with container.db.session() as s:
        red = select(func.count()).select_from(PersonStatus).where(PersonStatus.color == "red")
        assert s.scalar(red) == PEOPLE
        assert s.scalar(select(func.count()).select_from(StatusChange)) == PEOPLE  # once each
        batch_entry = select(OutboxEntry).where(OutboxEntry.topic == "apply_batch")
        assert s.scalars(batch_entry).one().done_at is not None
