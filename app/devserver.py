"""`make run`: migrate, seed demo data, and run the API plus an RQ worker on embedded defaults.

SQLite under instance/ and an embedded redis-server unless HEALTHCODE_DATABASE_URL and
HEALTHCODE_REDIS_URL are set. The banner appears once /readyz answers 200. A service process
that dies is started again. Ctrl-C stops everything, including the embedded Redis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import FrameType

from app.config import DEV_REDIS_FILE, INSTANCE_DIR, Settings
from app.embedded import EmbeddedRedis
from app.serving import gunicorn_command

RESTART_PAUSE = 3.0  # seconds a crashed child stays down at least (no tight crash loops)


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
        f"  Scanner (staff):    {base}/scan/   (checkpoint or venue; works offline after a sync)",
        '  Residents: POST /v1/auth/otp {"phone": "+8613800000000"}; the code appears',
        f"    on {base}/dev/sms and in this log as 'SMS to +86...: your ... code is NNNNNN'.",
        f"  Identity provider:  {settings.identity_provider}"
        + (
            "   (DEVELOPMENT: identities are NOT checked; README 'Identity proofing')"
            if settings.identity_provider in ("development", "none")
            else ""
        ),
        "",
        "Press Ctrl-C to stop.",
        "",
    ]
    return "\n".join(lines)


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _wait_ready(url: str, children: list[Child]) -> bool:
    """Poll /readyz until it answers 200 (False if a child died first); slow machines get
    a note every 30 s rather than a banner before the service can answer."""
    started = time.monotonic()
    noted = started
    while all(child.process.poll() is None for child in children):
        try:
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (our URL)
                if response.status == 200:
                    return True
        except (OSError, ValueError):
            pass
        if time.monotonic() - noted > 30:
            noted = time.monotonic()
            print(f"waiting for {url} ({noted - started:.0f} s)...", file=sys.stderr, flush=True)
        time.sleep(0.2)
    return False


class Child:
    """A service process that is started again when it dies (not more than every few s)."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], cwd: Path) -> None:
        self.name, self.command, self.env, self.cwd = name, command, env, cwd
        self.restarts = 0
        self.started = 0.0
        self.process = self._spawn()

    def _spawn(self) -> subprocess.Popen[bytes]:
        self.started = time.monotonic()
        # Own session: Ctrl-C reaches only us, and we stop the children in order.
        return subprocess.Popen(self.command, env=self.env, cwd=self.cwd, start_new_session=True)

    def revive(self) -> None:
        """Start the process again if it exited (after a pause if it keeps dying)."""
        code = self.process.poll()
        if code is None:
            return
        if time.monotonic() - self.started < RESTART_PAUSE:
            return  # it died quickly: wait a little before the next try
        self.restarts += 1
        print(f"{self.name} exited ({code}); restarting it", file=sys.stderr, flush=True)
        self.process = self._spawn()

    def stop(self) -> None:
        """Ask the process to stop (SIGTERM)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self) -> None:
        """Wait for it to exit; kill it after 15 s."""
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def main() -> int:
    """Set up and run until interrupted; a service process that dies is started again."""
    port = int(os.environ.get("PORT", "8000"))
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    embedded: EmbeddedRedis | None = None
    if not env.get("HEALTHCODE_REDIS_URL"):
        embedded = EmbeddedRedis(INSTANCE_DIR / "redis")
        env["HEALTHCODE_REDIS_URL"] = embedded.start()
        # `flask ...` in a second terminal reads it (app.config.dev_redis_url, development only)
        DEV_REDIS_FILE.write_text(env["HEALTHCODE_REDIS_URL"] + "\n")
    children: list[Child] = []

    def stop() -> None:
        for child in children:
            child.stop()
        for child in children:
            child.wait()
        if embedded is not None:
            DEV_REDIS_FILE.unlink(missing_ok=True)
            embedded.stop()

    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # also when started with SIGINT ignored
    try:
        settings = Settings.load(env)
        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
        root = Path(__file__).resolve().parent.parent
        demo = [] if settings.production else ["--demo"]
        subprocess.run([*flask, "setup", *demo], env=env, cwd=root, check=True)
        gunicorn = gunicorn_command(f"127.0.0.1:{port}")
        for name, command in (
            ("api", gunicorn),
            ("scheduler", [*flask, "scheduler"]),
            ("worker", [*flask, "worker"]),
        ):
            children.append(Child(name, command, env, root))
        if not _wait_ready(f"http://127.0.0.1:{port}/readyz", children):
            print("the service did not become ready; see the log above", file=sys.stderr)
        else:
            print(_banner(port, settings, embedded is not None), flush=True)
        while True:
            time.sleep(0.5)
            for child in children:
                child.revive()
    except KeyboardInterrupt:
        print("\nstopping...", file=sys.stderr)
        return 0
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(main())
