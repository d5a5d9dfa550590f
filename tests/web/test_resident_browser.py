"""The resident mini-app in a real Chromium: SMS login, profile, green; in the background it
does not poll; a positive test turns the open page red with its reason, without a reload, once
it is seen again; offline it still shows the last code."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

PHONE = "+8613800000123"
ID_NUMBER = "11010519491231002X"


# Chromium shows a headless page as visible: these set what a phone's browser reports when the
# page goes to the background and comes back, and fire the event it fires.
HIDE = """() => {
  for (const [name, value] of [["hidden", true], ["visibilityState", "hidden"]]) {
    Object.defineProperty(document, name, { configurable: true, get: () => value });
  }
  document.dispatchEvent(new Event("visibilitychange"));
}"""
SHOW = """() => {
  delete document.hidden;
  delete document.visibilityState;
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def sms_code(context: Any, base: str, phone: str) -> str:
    """Read the login code from the development SMS page, as a newcomer would."""
    page = context.new_page()
    try:
        page.goto(f"{base}/dev/sms")
        row = page.locator("#sms-list tbody tr", has_text=phone).first
        text = row.locator(".sms-text").inner_text()
        return re.search(r"\b(\d{6})\b", text).group(1)  # type: ignore[union-attr]
    finally:
        page.close()


def staff_token(base: str, username: str) -> str:
    response = requests.post(
        f"{base}/v1/auth/login",
        json={"username": username, "password": "password-123"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_resident_sees_green_then_red_without_reload(
    chromium: Any,
    live_url: str,
    background: None,
    make_staff: Callable[..., str],
    snap: Callable[[Any, str], None],
) -> None:
    from playwright.sync_api import expect

    context = chromium.new_context(viewport={"width": 360, "height": 800}, locale="en-GB")
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_url}/app/")
    expect(page.locator("#login")).to_be_visible()
    snap(page, "resident-login")

    page.get_by_label("Phone number").fill(PHONE)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.locator("#otp-form")).to_be_visible()
    page.get_by_label("6-digit code from the SMS").fill(sms_code(context, live_url, PHONE))
    page.get_by_role("button", name="Log in").click()

    expect(page.locator("#profile")).to_be_visible()
    page.get_by_label("Full name").fill("Zhang San")
    page.get_by_label("ID number").fill("110105194912310021")  # wrong check digit
    page.get_by_label("Date of birth").fill("1949-12-31")
    page.get_by_role("button", name="Save and show my code").click()
    expect(page.locator('[data-pointer="/id_number"]')).to_contain_text("check digit")
    snap(page, "resident-profile")
    page.get_by_label("ID number").fill(ID_NUMBER)
    page.get_by_role("button", name="Save and show my code").click()

    expect(page.locator("#frame")).to_have_attribute("data-color", "green")
    expect(page.locator("#color-word")).to_have_text("GREEN")
    expect(page.locator("#holder")).to_have_text("Z**** S**")
    expect(page.locator("#countdown")).to_contain_text("left")
    assert page.locator("#qr").evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    snap(page, "resident-green")

    # in the background (another app in front, the screen off) the page does not poll
    polls: list[float] = []  # when each status request went out

    def note(request: Any) -> None:
        if request.url.endswith("/v1/me/status"):
            polls.append(time.monotonic())

    page.on("request", note)
    page.wait_for_timeout(3_500)  # a tick of the 3 s poll while seen: its phase
    assert polls
    tick = polls[-1]
    page.evaluate(HIDE)
    hidden = len(polls)
    page.wait_for_timeout(4_000)  # more than one poll interval
    assert len(polls) == hidden
    official = staff_token(live_url, make_staff("official"))
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    record = {
        "record_id": "lab-web-1",
        "id_number": ID_NUMBER,
        "kind": "pcr",
        "result": "positive",
        "sampled_at": now,
    }
    posted = requests.post(
        f"{live_url}/v1/feeds/tests",
        json={"records": [record]},
        headers={"Authorization": f"Bearer {official}"},
        timeout=10,
    )
    assert posted.status_code == 202, posted.text
    page.wait_for_timeout(4_000)
    assert len(polls) == hidden
    expect(page.locator("#frame")).to_have_attribute("data-color", "green")

    # seen again half a second after a tick of the interval: a request within the next second
    # comes from the page being seen (the interval's next tick is 2.5 s away); it turns red
    page.wait_for_timeout(((tick - time.monotonic()) % 3.0 + 0.5) * 1000)
    shown = time.monotonic()
    page.evaluate(SHOW)
    page.wait_for_timeout(1_000)
    assert [t for t in polls[hidden:] if t < shown + 1.0], (shown, polls)
    expect(page.locator("#frame")).to_have_attribute("data-color", "red", timeout=10_000)
    expect(page.locator("#color-word")).to_have_text("RED")
    expect(page.locator("#reasons")).to_contain_text("Positive pcr test")
    expect(page.locator("#reasons")).to_contain_text("Get a PCR test")
    expect(page.locator("#history li").first).to_contain_text("GREEN → RED")
    snap(page, "resident-red")

    # offline: the service worker serves the shell, the page shows the last code and says so
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    context.set_offline(True)
    page.reload()
    expect(page.locator("#offline")).to_be_visible()
    expect(page.locator("#offline")).to_contain_text("offline")
    expect(page.locator("#color-word")).to_have_text("RED")
    expect(page.locator("#expires")).not_to_be_empty()
    snap(page, "resident-offline")
    context.set_offline(False)
    assert not [e for e in errors if "Failed to load resource" not in e], errors
    context.close()


def test_resident_pages_in_chinese(
    chromium: Any, live_url: str, snap: Callable[[Any, str], None]
) -> None:
    from playwright.sync_api import expect

    context = chromium.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"})
    page = context.new_page()
    page.goto(f"{live_url}/app/")
    expect(page.locator("#login h1")).to_have_text("手机号登录")
    expect(page.get_by_label("手机号码")).to_be_visible()
    snap(page, "resident-login-zh")
    page.get_by_role("button", name="English").click()
    expect(page.locator("#login h1")).to_have_text("Log in with your phone")
    context.close()
