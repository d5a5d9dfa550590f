"""The production server: gunicorn with gunicorn.conf.py serves /readyz against the test DB."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from flask import Flask

from app.serving import gunicorn_command

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_gunicorn_serves_readyz(database_url: str, redis_url: str, app: Flask) -> None:
    from sqlalchemy import delete

    from app.models import KeyRecord, TrustChange

    with app.extensions["healthcode"].db.session() as session:  # keys of another passphrase
        session.execute(delete(TrustChange))
        session.execute(delete(KeyRecord))
    port = _free_port()
    env = dict(os.environ)
    env.update(
        HEALTHCODE_ENV="production",
        HEALTHCODE_SECRET_KEY="s" * 48,
        HEALTHCODE_ID_HASH_KEY="i" * 48,
        HEALTHCODE_KEY_PASSPHRASE="p" * 48,
        HEALTHCODE_SMS_BACKEND="http",
        HEALTHCODE_SMS_HTTP_URL="http://127.0.0.1:9/unused",
        HEALTHCODE_SMS_HTTP_KEY="k" * 48,
        HEALTHCODE_IDENTITY_PROVIDER="counter",
        HEALTHCODE_DATABASE_URL=database_url,
        HEALTHCODE_REDIS_URL=redis_url,
        GUNICORN_WORKERS="2",
    )
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "keys", "init"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
    )
    server = subprocess.Popen(
        gunicorn_command(f"127.0.0.1:{port}"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        response = None
        while time.monotonic() < deadline:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
        assert response is not None, "gunicorn did not start"
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "ok"
        missing = requests.get(f"http://127.0.0.1:{port}/v1/nope", timeout=2)
        assert missing.headers["Content-Type"] == "application/problem+json"
    finally:
        server.terminate()
        server.wait(timeout=20)
