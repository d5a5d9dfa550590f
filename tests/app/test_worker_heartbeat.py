"""The worker's heartbeat file: written on its first RQ heartbeat, then at most every
BEAT_EVERY seconds (RQ beats several times per job; a file write each time slowed jobs)."""

from __future__ import annotations

import json
from pathlib import Path

from redis import Redis
from rq.serializers import JSONSerializer

from app import heartbeat
from app.worker import BEAT_EVERY, HealthcodeWorker


def _stamp(directory: Path) -> float:
    return float(json.loads(heartbeat.path_for(str(directory), "worker").read_text())["ts"])


def test_the_file_is_written_at_once_then_at_most_every_beat_every(
    redis_url: str, tmp_path: Path
) -> None:
    worker = HealthcodeWorker(
        ["hb-test"], connection=Redis.from_url(redis_url), serializer=JSONSerializer
    )
    worker.heartbeat_dir = str(tmp_path)
    worker.heartbeat()
    first = _stamp(tmp_path)
    worker.heartbeat()
    assert _stamp(tmp_path) == first  # RQ reached Redis again; the file waits
    worker.beaten -= BEAT_EVERY  # as if BEAT_EVERY seconds had passed
    worker.heartbeat()
    assert _stamp(tmp_path) > first
