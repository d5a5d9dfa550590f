"""PostgreSQL stopped for 20 s under real gunicorn, scheduler and worker processes.

The test starts a PostgreSQL of its own (initdb + pg_ctl, private port and data directory),
never the shared server. While it is down: database-backed endpoints answer 503
problem+json with Retry-After, /readyz names `database` and nothing about where it is, the
scheduler and the worker keep running. When it is back they resume by themselves.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from app.migrate import upgrade
from app.serving import gunicorn_command

from .conftest import PrivateRedis, Procs, free_port, wait_for

PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
OUTAGE = 20.0


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on a private port, run as the `postgres` user."""

    def __init__(self) -> None:
        self.bin = PG_BIN[-1].parent
        self.dir = Path(tempfile.mkdtemp(prefix="healthcode-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/healthcode"
        shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bin / tool), *args],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-l",
            str(self.dir / "log"),
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self) -> None:
        self._run(
            "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "healthcode"
        )

    def remove(self) -> None:
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_postgres(database_url: str) -> Iterator[PrivatePostgres]:
    if not database_url.startswith("postgresql"):
        pytest.skip(
            "SQLite has no server to stop: this outage test runs in the PostgreSQL run of the "
            "suite (it starts a private PostgreSQL of its own)"
        )
    if not PG_BIN or shutil.which("runuser") is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) to start a private cluster")
    server = PrivatePostgres()
    server.start()
    server.create_database()
    yield server
    server.remove()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_postgres_stopped_answers_503_and_everything_resumes(
    private_postgres: PrivatePostgres, private_redis: PrivateRedis, procs: Procs
) -> None:
    env = {
        "HEALTHCODE_DATABASE_URL": private_postgres.url,
        "HEALTHCODE_REDIS_URL": private_redis.url,
        "HEALTHCODE_NEW_PASSWORD": "password-123",
    }
    upgrade(private_postgres.url)
    for args in (
        ("keys", "init"),
        ("rules", "init"),
        ("accounts", "create", "--username", "olga", "--role", "official"),
    ):
        setup = procs.flask("setup", *args, **env)
        assert setup.wait(timeout=120) == 0
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    procs.start("api", *gunicorn_command(f"127.0.0.1:{port}"), **env)
    scheduler = procs.flask("scheduler", "scheduler", **env)
    worker = procs.flask("worker", "worker", **env)
    wait_for(lambda: _status(base + "/readyz") == 200, 60, 0.2)
    token = requests.post(
        base + "/v1/auth/login", json={"username": "olga", "password": "password-123"}, timeout=5
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    private_postgres.stop()
    down = time.monotonic()
    while time.monotonic() - down < OUTAGE:
        response = requests.get(base + "/v1/regions", headers=headers, timeout=10)
        assert response.status_code == 503, response.text
        assert response.headers["Content-Type"] == "application/problem+json"
        assert int(response.headers["Retry-After"]) > 0
        assert response.json()["dependency"] == "database"
        ready = requests.get(base + "/readyz", timeout=10)
        assert ready.status_code == 503 and "database" in ready.json()["failed"]
        for secret in (str(private_postgres.port), "127.0.0.1", "psycopg", "connection"):
            assert secret not in ready.text and secret not in response.text, secret
        assert scheduler.poll() is None and worker.poll() is None
        time.sleep(1)
    private_postgres.start()
    back = time.monotonic()
    wait_for(lambda: _status(base + "/readyz") == 200, 60, 0.2)
    print(f"\nPostgreSQL back: /readyz ready after {time.monotonic() - back:.1f} s")
    assert requests.get(base + "/v1/regions", headers=headers, timeout=10).status_code == 200
    # The worker and the scheduler (the same processes) work again: a batch gets applied.
    sampled = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    record = {
        "record_id": "pg-1",
        "id_number": "PGBACK0001",
        "kind": "pcr",
        "result": "positive",
        "sampled_at": sampled,
    }
    batch = requests.post(
        base + "/v1/feeds/tests", json={"records": [record]}, headers=headers, timeout=10
    )
    assert batch.status_code == 202, batch.text
    url = f"{base}/v1/feeds/batches/{batch.json()['batch_id']}"
    wait_for(
        lambda: requests.get(url, headers=headers, timeout=10).json()["status"] == "applied",
        60,
        0.5,
    )
    print(f"PostgreSQL back: a new batch applied {time.monotonic() - back:.1f} s after the restart")
    assert scheduler.poll() is None and worker.poll() is None


def _status(url: str) -> int:
    try:
        return requests.get(url, timeout=3).status_code
    except requests.RequestException:
        return 0
