"""The resident mini-app checks in at a venue (the place code pasted, as a scanner would
type it): the door decision shows, the visit is listed, a forged code is refused."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from tests.web.test_resident_browser import sms_code, staff_token

PHONE = "+8613800000456"
ID_NUMBER = "11010519491231002X"


def _venue(base: str, operator: str, official: str) -> str:
    region = {
        "name": "Dongcheng",
        "level": "low",
        "effective_from": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    auth = {"Authorization": f"Bearer {official}"}
    assert requests.put(f"{base}/v1/regions/BJ-DC", json=region, headers=auth, timeout=10).ok
    body = {
        "name": "Tea House",
        "address": "1 Main St",
        "region_code": "BJ-DC",
        "kind": "restaurant",
    }
    auth = {"Authorization": f"Bearer {operator}"}
    venue = requests.post(f"{base}/v1/venues", json=body, headers=auth, timeout=10).json()
    return str(
        requests.get(f"{base}/v1/venues/{venue['id']}/place-code", headers=auth, timeout=10).json()[
            "code"
        ]
    )


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_resident_checks_in_with_a_place_code(
    chromium: Any, live_url: str, make_staff: Callable[..., str], snap: Callable[[Any, str], None]
) -> None:
    from playwright.sync_api import expect

    code = _venue(
        live_url,
        staff_token(live_url, make_staff("venue_operator")),
        staff_token(live_url, make_staff("official")),
    )
    context = chromium.new_context(viewport={"width": 360, "height": 900}, locale="en-GB")
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_url}/app/")
    page.get_by_label("Phone number").fill(PHONE)
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_label("6-digit code from the SMS").fill(sms_code(context, live_url, PHONE))
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Full name").fill("Zhang San")
    page.get_by_label("ID number").fill(ID_NUMBER)
    page.get_by_label("Date of birth").fill("1949-12-31")
    page.get_by_role("button", name="Save and show my code").click()
    expect(page.locator("#frame")).to_have_attribute("data-color", "green")
    expect(page.locator("#no-visits")).to_be_visible()

    forged = code[:-10] + ("A" if code[-10] != "A" else "B") + code[-9:]
    page.get_by_label("Scan the venue's poster, or paste its code").fill(forged)
    page.get_by_role("button", name="Check in", exact=True).click()
    expect(page.locator("#checkin-answer")).to_contain_text("BAD_SIGNATURE")

    page.get_by_label("Scan the venue's poster, or paste its code").fill(code)
    page.get_by_role("button", name="Check in", exact=True).click()
    expect(page.locator("#checkin-answer")).to_have_attribute("data-admit", "true")
    expect(page.locator("#checkin-answer")).to_contain_text(
        re.compile("Tea House.*GREEN.*may enter")
    )
    expect(page.locator("#visits li")).to_have_count(1)
    expect(page.locator("#visits li").first).to_contain_text("Tea House")
    snap(page, "resident-checkin")
    page.get_by_role("button", name="Leave").click()
    expect(page.get_by_role("button", name="Leave")).to_have_count(0)
    assert not errors, errors
    context.close()
