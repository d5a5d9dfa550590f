"""The scanner follows a root key hand-over: synced before `keys rotate-root`, it syncs
after it (verifying the statement with the root it pinned) and keeps verifying codes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.test_checkpoint_e2e import PHONE_B, Service, _free_port, _start, _stop, _wait_ready
from tests.web.test_scan_offline import scan

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_scanner_synced_before_root_rotation_keeps_verifying(
    database_url: str,
    redis_url: str,
    make_staff: Callable[..., str],
    chromium: Any,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    checkpoint = make_staff("checkpoint")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHCODE_")}
    env.update(
        HEALTHCODE_ENV="development",
        HEALTHCODE_DATABASE_URL=database_url,
        HEALTHCODE_REDIS_URL=redis_url,
        GUNICORN_WORKERS="2",
    )
    service = Service(port, tmp_path / "server.log")
    context = chromium.new_context(viewport={"width": 360, "height": 800}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    with service.log_path.open("wb") as log:
        server = _start(env, port, log)
        try:
            _wait_ready(service, server)
            token = service.resident(PHONE_B, "Li Si", "E98765432", "1990-01-01")
            code = service.call("GET", "/v1/me/code", 200, token).json()["code"]
            page.goto(f"{service.base}/scan/")
            page.get_by_label("User name").fill(checkpoint)
            page.get_by_label("Password").fill("password-123")
            page.get_by_role("button", name="Log in and sync").click()
            expect(page.locator("#notice")).to_contain_text("Synced: version")
            old_root = service.call("GET", "/v1/trust/root", 200).text
            rotated = subprocess.run(
                [sys.executable, "-m", "flask", "--app", "wsgi", "keys", "rotate-root"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert rotated.returncode == 0, rotated.stderr
            assert service.call("GET", "/v1/trust/root", 200).text != old_root
            page.locator("#notice").evaluate("el => { el.textContent = ''; }")
            page.get_by_role("button", name="Sync now").click()
            expect(page.locator("#notice")).to_contain_text("Synced")
            device = page.evaluate("import('/scan/static/store.js').then((s) => s.loadDevice())")
            assert device["root_pem"] == old_root and len(device["handovers"]) == 1
            assert scan(page, code)["tone"] == "green", errors
            page.reload()  # the stored chain is re-verified from the pinned root at start
            assert scan(page, code)["tone"] == "green", errors
        finally:
            _stop(server)
    assert not errors
