"""Fixtures of the browser tests: the system Chromium, a live server, a real worker, screenshots.

Browser tests skip (with the reason) only when no Chromium binary or no playwright is installed;
`.ci/run` installs Debian's chromium when it is missing. Never `playwright install`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from rq import Worker

from tests.web.scan_browser import CHROMIUM, launch, live_server

ROOT = Path(__file__).resolve().parent.parent.parent
WIDTHS = (360, 1280)


def _require_browser() -> Any:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (browser tests)")
    return pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless system Chromium for the session."""
    sync_api = _require_browser()
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    """The test app served over real HTTP on 127.0.0.1 and a free port."""
    with live_server(app) as url:
        yield url


@pytest.fixture
def background(database_url: str, redis_url: str, app: Flask) -> Iterator[None]:
    """A real RQ worker and the scheduler (outbox relay) on the test database and Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHCODE_")}
    env.update(
        HEALTHCODE_ENV="development",
        HEALTHCODE_DATABASE_URL=database_url,
        HEALTHCODE_REDIS_URL=redis_url,
        HEALTHCODE_SCHEDULER_INTERVAL="1",
        HEALTHCODE_LOG_LEVEL="WARNING",
    )
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    procs = [
        subprocess.Popen([*flask, cmd], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        for cmd in ("worker", "scheduler")
    ]
    try:
        # Ready when the worker has registered with Redis: its start-up (importing the app) is
        # not part of any time the tests measure.
        redis = Redis.from_url(redis_url)
        deadline = time.monotonic() + 90
        while Worker.count(connection=redis) == 0 and time.monotonic() < deadline:
            assert all(p.poll() is None for p in procs), "worker or scheduler exited"
            time.sleep(0.2)
        assert Worker.count(connection=redis) > 0, "the worker did not start"
        yield
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)


@pytest.fixture(scope="session")
def screens(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tests put screenshots (HEALTHCODE_SCREENSHOTS keeps them somewhere known)."""
    target = os.environ.get("HEALTHCODE_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        return Path(target)
    return tmp_path_factory.mktemp("screens")


@pytest.fixture
def snap(screens: Path) -> Callable[[Any, str], None]:
    """Screenshot a page at phone (360 px) and desktop (1280 px) widths, back to phone after."""

    def take(page: Any, name: str) -> None:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            page.wait_for_timeout(150)
            page.screenshot(path=str(screens / f"{name}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": WIDTHS[0], "height": 800})

    return take
