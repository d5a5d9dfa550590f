"""The scanner in a real Chromium against the real service under gunicorn.

Online: two residents get their codes; checkpoint staff log in on /scan/ (the first sync pins
the root key and fetches the full bundle); an official withdraws resident A's codes and the
scanner syncs again (a delta). Offline: gunicorn stops and the browser goes offline; the page
reloads from the service worker; B's genuine code is valid (typed as a keyboard-wedge scanner
does, then Enter), an altered code, A's withdrawn code (pasted) and B's code after its expiry
are refused with their reasons; a new tab opened offline (no login) still checks codes.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.test_checkpoint_e2e import (
    PHONE_A,
    PHONE_B,
    Service,
    _free_port,
    _start,
    _stop,
    _wait_ready,
)

ROOT = Path(__file__).resolve().parent.parent.parent
DOCS_SHOTS = {"scan-synced-360.png", "scan-valid-360.png", "scan-refused-360.png"}


def scan(page: Any, text: str) -> dict[str, str]:
    """Type text into the focused field and press Enter; the answer shown."""
    page.locator("#answer").evaluate("el => { el.hidden = true; el.dataset.tone = ''; }")
    page.locator("#code-input").focus()
    page.keyboard.insert_text(text)  # a wedge scanner types the whole text, then Enter
    page.keyboard.press("Enter")
    return answer(page)


def paste(page: Any, text: str) -> dict[str, str]:
    """Paste text into the field (a real paste event with clipboard data)."""
    page.locator("#answer").evaluate("el => { el.hidden = true; el.dataset.tone = ''; }")
    page.locator("#code-input").evaluate(
        """(input, text) => {
            const data = new DataTransfer();
            data.setData("text", text);
            input.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true}));
        }""",
        text,
    )
    return answer(page)


def answer(page: Any) -> dict[str, str]:
    from playwright.sync_api import expect

    # wait_for_function polls with eval, which the page's CSP refuses: expect polls from outside
    expect(page.locator("#answer")).to_have_attribute("data-tone", re.compile(r"."))
    return {
        "tone": page.locator("#answer").get_attribute("data-tone"),
        "word": page.locator("#answer-word").inner_text(),
        "holder": page.locator("#answer-holder").inner_text(),
        "detail": page.locator("#answer-detail").inner_text(),
    }


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_scanner_verifies_offline_after_sync(
    database_url: str,
    redis_url: str,
    make_staff: Callable[..., str],
    chromium: Any,
    snap: Callable[[Any, str], None],
    screens: Path,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    checkpoint, official = make_staff("checkpoint"), make_staff("official")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHCODE_")}
    env.update(
        HEALTHCODE_ENV="development",
        HEALTHCODE_DATABASE_URL=database_url,
        HEALTHCODE_REDIS_URL=redis_url,
        HEALTHCODE_LOG_JSON="true",
        GUNICORN_WORKERS="2",
    )
    service = Service(port, tmp_path / "server.log")
    context = chromium.new_context(viewport={"width": 360, "height": 800}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        with service.log_path.open("wb") as log:
            server = _start(env, port, log)
            try:
                _wait_ready(service, server)
                token_a = service.resident(PHONE_A, "Zhang San", "11010519491231002X", "1949-12-31")
                code_a = service.call("GET", "/v1/me/code", 200, token_a).json()
                person_a = service.call("GET", "/v1/me/profile", 200, token_a).json()["person_id"]
                token_b = service.resident(PHONE_B, "Li Si", "E98765432", "1990-01-01")
                code_b = service.call("GET", "/v1/me/code", 200, token_b).json()

                # staff log in; the first sync pins the root key and fetches the full bundle
                page.goto(f"{service.base}/scan/")
                expect(page.locator("#login-view")).to_be_visible()
                snap(page, "scan-login")
                page.get_by_label("User name").fill(checkpoint)
                page.get_by_label("Password").fill("password-123")
                page.get_by_role("button", name="Log in and sync").click()
                expect(page.locator("#notice")).to_contain_text("Synced: version")
                expect(page.locator("#code-input")).to_be_focused()
                first_seq = int(page.locator("#trust-seq").inner_text())
                root_pem = service.call("GET", "/v1/trust/root", 200).text
                fingerprint = page.locator("#trust-root").inner_text().replace(" ", "")
                assert hashlib.sha256(root_pem.encode()).hexdigest().startswith(fingerprint)

                # the official withdraws A's codes; the scanner's next sync is a delta
                staff = service.staff(official)
                service.call("POST", f"/v1/persons/{person_a}/withdraw-codes", 204, staff)
                page.get_by_role("button", name="Sync now").click()
                expect(page.locator("#trust-seq")).not_to_have_text(str(first_seq))
                expect(page.locator("#notice")).to_contain_text("withdrawal entries: 1.")
                device = page.evaluate(
                    "import('/scan/static/store.js').then((s) => s.loadDevice())"
                )
                assert len(device["deltas"]) == 1 and device["etag"]
                # nothing changed: 304 (or, across a 5-minute boundary, a refresh-only delta
                # that replaces nothing and is not stacked)
                page.locator("#notice").evaluate("el => { el.textContent = ''; }")
                page.get_by_role("button", name="Sync now").click()
                expect(page.locator("#notice")).to_have_text(re.compile("up to date|Synced"))
                device = page.evaluate(
                    "import('/scan/static/store.js').then((s) => s.loadDevice())"
                )
                assert len(device["deltas"]) == 1
                page.evaluate("navigator.serviceWorker.ready.then(() => true)")
                snap(page, "scan-synced")
            finally:
                _stop(server)
        with pytest.raises(requests.ConnectionError):
            requests.get(service.base + "/readyz", timeout=2)

        # offline: the service worker serves the page; codes are checked in the browser
        context.set_offline(True)
        page.reload()
        expect(page.locator("#net-state")).to_have_text("Offline")
        expect(page.locator("#scan-view")).to_be_visible()
        expect(page.locator("body")).to_have_attribute("data-ready", "1")

        genuine = scan(page, code_b["code"])
        assert genuine["tone"] == "green" and genuine["word"] == "GREEN", genuine
        assert genuine["holder"] == "L* S* · ID …5432", genuine
        assert genuine["detail"].startswith("Valid until")
        snap(page, "scan-valid")

        text = code_b["code"]
        i = len(text) - 20  # inside the signature
        altered = scan(page, text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1 :])
        assert altered["tone"] == "refused" and altered["detail"] == "BAD_SIGNATURE", altered
        assert altered["holder"] == "The code was altered or forged."

        withdrawn = paste(page, code_a["code"])
        assert withdrawn["detail"] == "REVOKED", withdrawn
        assert withdrawn["holder"] == "The code has been withdrawn."
        snap(page, "scan-refused")

        # a new tab offline (no login session): the held bundle still checks codes
        fresh = context.new_page()
        fresh.goto(f"{service.base}/scan/")
        expect(fresh.locator("#scan-view")).to_be_visible()
        expect(fresh.locator("#sync-button")).to_be_disabled()
        assert scan(fresh, code_b["code"])["tone"] == "green"
        fresh.close()

        expires_at = datetime.fromisoformat(code_b["expires_at"].replace("Z", "+00:00"))
        page.clock.set_fixed_time(expires_at + timedelta(minutes=2))
        expired = scan(page, code_b["code"])
        assert expired["detail"] == "EXPIRED", expired
        assert errors == []
    finally:
        context.close()
    if os.environ.get("HEALTHCODE_UPDATE_DOCS_SCREENSHOTS"):
        for name in DOCS_SHOTS:
            shutil.copy(screens / name, ROOT / "docs" / "screenshots" / name)
