"""Real processes for the recovery tests: workers, schedulers, gunicorn, a private Redis."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from app.embedded import redis_server_binary

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children_of(parent: int) -> list[int]:
    """Direct children of a process (RQ's work-horse runs in a process group of its own)."""
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


def wait_for(predicate: Callable[[], Any], timeout: float, step: float = 0.1) -> Any:
    """Poll until predicate() is truthy; return its value (AssertionError on timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"not true within {timeout} s: {predicate}")


class Procs:
    """Starts service processes with the test's environment; kills them all at the end."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, *command: str, **env: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}-{len(self.started)}.log").open("wb")
        process = subprocess.Popen(
            list(command),
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append(process)
        return process

    def flask(self, name: str, *args: str, **env: str) -> subprocess.Popen[bytes]:
        return self.start(name, sys.executable, "-m", "flask", "--app", "wsgi", *args, **env)

    @staticmethod
    def kill_tree(process: subprocess.Popen[bytes]) -> None:
        """kill -9 a process and its direct children (a worker and its work-horse)."""
        for pid in [process.pid, *children_of(process.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill_tree(process)


@pytest.fixture
def procs(tmp_path: Path, database_url: str, redis_url: str) -> Iterator[Procs]:
    env = dict(
        os.environ,
        HEALTHCODE_DATABASE_URL=database_url,
        HEALTHCODE_REDIS_URL=redis_url,
        HEALTHCODE_SCHEDULER_INTERVAL="1",
        HEALTHCODE_HEARTBEAT_DIR=str(tmp_path / "heartbeat"),
        GUNICORN_WORKERS="2",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    running = Procs(env, tmp_path)
    yield running
    running.stop_all()


class PrivateRedis:
    """A redis-server of the test's own on a TCP port: it may be killed, restarted, frozen."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(self.answers, 10, 0.05)

    def answers(self) -> bool:
        try:
            return bool(Redis.from_url(self.url, socket_timeout=0.5).ping())
        except Exception:
            return False

    def kill(self) -> None:
        """Lose Redis and everything in it (no persistence)."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()
