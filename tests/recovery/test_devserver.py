"""`make run` (python -m app.devserver): banner only once ready, a second terminal finds the
embedded Redis, and a child that dies is started again instead of stopping everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from .conftest import ROOT, children_of, free_port, wait_for


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_make_run_banner_when_ready_second_terminal_and_restarts(
    tmp_path: Path, database_url: str
) -> None:
    port = free_port()
    instance = tmp_path / "instance"
    env = dict(os.environ, PORT=str(port), HEALTHCODE_INSTANCE_DIR=str(instance))
    env["HEALTHCODE_DATABASE_URL"] = database_url
    for name in ("HEALTHCODE_REDIS_URL", "HEALTHCODE_ENV", "PROMETHEUS_MULTIPROC_DIR"):
        env.pop(name, None)
    log = (tmp_path / "devserver.log").open("w+")
    dev = subprocess.Popen(
        [sys.executable, "-m", "app.devserver"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(
            lambda: "Healthcode is running." in (tmp_path / "devserver.log").read_text(), 240, 0.05
        )
        # The banner is out: the very next request is served at once.
        started = time.monotonic()
        assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
        assert time.monotonic() - started < 1.0
        # A second terminal (no HEALTHCODE_REDIS_URL) finds the embedded Redis.
        second = {k: v for k, v in env.items() if k != "PORT"}
        found = subprocess.run(
            [
                sys.executable,
                "-c",
                "from app.config import Settings; print(Settings.load().redis_url)",
            ],
            cwd=ROOT,
            env=second,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()
        assert found.startswith("unix://") and str(instance) in found
        assert (instance / "redis.url").read_text().strip() == found

        # A child dies: it is started again, the rest keeps running.
        def worker() -> int | None:
            return next((p for p in children_of(dev.pid) if " worker" in _cmdline(p)), None)

        old = wait_for(worker, 30)
        os.kill(old, signal.SIGKILL)
        new = wait_for(lambda: (w := worker()) is not None and w != old and w, 30)
        assert new != old and dev.poll() is None
        assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
    finally:
        dev.send_signal(signal.SIGINT)
        assert dev.wait(timeout=60) == 0
    assert not (instance / "redis.url").exists()
