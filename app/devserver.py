"""`make run`: migrate, seed demo data, and run the API plus an RQ worker on embedded defaults.

SQLite under instance/ and an embedded redis-server unless HEALTHCODE_DATABASE_URL and
HEALTHCODE_REDIS_URL are set. Ctrl-C stops everything, including the embedded Redis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from app.config import INSTANCE_DIR, Settings
from app.embedded import EmbeddedRedis
from app.serving import gunicorn_command


def _banner(port: int, settings: Settings, embedded: bool) -> str:
    base = f"http://127.0.0.1:{port}"
    password = settings.demo_password
    lines = [
        "",
        "Healthcode is running.",
        f"  API:      {base}/v1",
        f"  Docs:     {base}/docs   (OpenAPI: {base}/openapi.json)",
        f"  Health:   {base}/healthz  {base}/readyz",
        f"  Database: {settings.database_url}",
        f"  Redis:    {'embedded ' if embedded else ''}{settings.redis_url}",
        "",
        f"  Staff logins (password '{password}'): admin, official, checkpoint, venue",
        f"    curl -s -X POST {base}/v1/auth/login -H 'Content-Type: application/json' \\",
        f'         -d \'{{"username": "admin", "password": "{password}"}}\'',
        f"  Resident app:       {base}/app/",
        f"  SMS sent (dev):     {base}/dev/sms   (login codes for residents)",
        f"  Officials' console: {base}/console/",
        '  Residents: POST /v1/auth/otp {"phone": "+8613800000000"}; the code appears',
        f"    on {base}/dev/sms and in this log as 'SMS to +86...: your ... code is NNNNNN'.",
        "",
        "Press Ctrl-C to stop.",
        "",
    ]
    return "\n".join(lines)


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> int:
    """Set up and run until interrupted."""
    port = int(os.environ.get("PORT", "8000"))
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    embedded: EmbeddedRedis | None = None
    if not env.get("HEALTHCODE_REDIS_URL"):
        embedded = EmbeddedRedis(INSTANCE_DIR / "redis")
        env["HEALTHCODE_REDIS_URL"] = embedded.start()
    children: list[subprocess.Popen[bytes]] = []

    def stop() -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        if embedded is not None:
            embedded.stop()

    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # also when started with SIGINT ignored
    try:
        settings = Settings.load(env)
        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
        root = Path(__file__).resolve().parent.parent
        subprocess.run([*flask, "db", "upgrade"], env=env, cwd=root, check=True)
        subprocess.run([*flask, "keys", "init"], env=env, cwd=root, check=True)
        subprocess.run([*flask, "rules", "init"], env=env, cwd=root, check=True)
        if not settings.production:
            subprocess.run([*flask, "demo", "seed"], env=env, cwd=root, check=True)
        gunicorn = gunicorn_command(f"127.0.0.1:{port}")
        for command in (gunicorn, [*flask, "scheduler"], [*flask, "worker"]):
            # Own sessions: Ctrl-C reaches only us, and we stop them in order below.
            children.append(subprocess.Popen(command, env=env, cwd=root, start_new_session=True))
        time.sleep(1.5)
        print(_banner(port, settings, embedded is not None), flush=True)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("a service process exited; stopping", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping...", file=sys.stderr)
        return 0
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(main())
