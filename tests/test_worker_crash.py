"""A real RQ worker killed mid-job loses nothing: the outbox re-sends the work, applied once."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.db import utcnow
from app.models import FeedBatch, OutboxEntry, PersonStatus, StatusChange

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = 4000


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_worker_killed_mid_job_loses_nothing(
    app: Flask,
    client: FlaskClient,
    database_url: str,
    redis_url: str,
    login: Callable[[str], dict[str, str]],
    run_jobs: Callable[[], int],
    settings_override: Callable[..., None],
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
    env = dict(os.environ, HEALTHCODE_DATABASE_URL=database_url, HEALTHCODE_REDIS_URL=redis_url)
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        response = client.post(
            "/v1/feeds/tests", json={"records": records}, headers=login("official")
        )
        assert response.status_code == 202 and response.json["accepted"] == PEOPLE
        batch_id = response.json["batch_id"]
        deadline = time.monotonic() + 60
        status = "queued"
        while status == "queued" and time.monotonic() < deadline:
            time.sleep(0.01)
            with container.db.session() as s:
                status = s.scalar(select(FeedBatch.status))
        assert status == "applying", status  # the job is running now...
    finally:
        # ...and the machine dies: the worker and its work-horse (RQ puts the horse in a
        # process group of its own) are killed without warning.
        for pid in [worker.pid, *_children(worker.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        worker.wait(timeout=10)
    with container.db.session() as s:
        assert s.scalar(select(FeedBatch.status)) == "applying"
        assert s.scalar(select(OutboxEntry.done_at)) is None
        assert s.scalar(select(func.count()).select_from(PersonStatus)) == 0  # rolled back
    # The relay notices the entry was sent long ago and never finished, and sends it again.
    settings_override(outbox_stale_after=0)
    from app.jobs.periodic import relay_outbox

    with app.app_context():
        assert relay_outbox() == 1
    run_jobs()
    official = login("official")
    batch = client.get(f"/v1/feeds/batches/{batch_id}", headers=official).json
    assert batch["status"] == "applied", batch
    with container.db.session() as s:
        assert (
            s.scalar(
                select(func.count()).select_from(PersonStatus).where(PersonStatus.color == "red")
            )
            == PEOPLE
        )
        assert s.scalar(select(func.count()).select_from(StatusChange)) == PEOPLE
    # and sending it yet again changes nothing
    with app.app_context():
        assert relay_outbox() == 0
