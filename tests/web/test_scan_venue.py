"""The scanner's venue mode in Chromium: the venue's place code chosen and verified in the
browser, its policy applied offline (green admitted, red refused), the entry log kept in
IndexedDB and uploaded through the batch endpoint when the network returns."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from app.db import utcnow
from tests.app.venues.conftest import id_number, iso
from tests.web.test_scan_offline import scan


def _codes(client: FlaskClient, resident: Any, official: dict[str, str], run_jobs: Any) -> Any:
    codes = []
    for serial in (31, 32):
        headers = resident()
        number = id_number(serial)
        body = {"name": f"Visitor {serial}", "id_number": number, "birth_date": "1990-01-01"}
        assert client.put("/v1/me/profile", json=body, headers=headers).status_code == 200
        codes.append((headers, number))
    record = {
        "record_id": "web-venue-1",
        "id_number": codes[1][1],
        "kind": "pcr",
        "result": "positive",
        "sampled_at": iso(utcnow() - timedelta(hours=1)),
    }
    assert (
        client.post("/v1/feeds/tests", json={"records": [record]}, headers=official).status_code
        == 202
    )
    run_jobs()
    return [client.get("/v1/me/code", headers=h).json["code"] for h, _ in codes]


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_venue_mode_offline_then_upload(
    chromium: Any,
    live_url: str,
    client: FlaskClient,
    resident: Any,
    run_jobs: Any,
    login: Callable[[str], dict[str, str]],
    make_staff: Callable[..., str],
    snap: Callable[[Any, str], None],
) -> None:
    from playwright.sync_api import expect

    official = login("official")
    region = {"name": "Dongcheng", "level": "low", "effective_from": iso(utcnow())}
    assert client.put("/v1/regions/BJ-DC", json=region, headers=official).status_code == 200
    operator = make_staff("venue_operator")
    token = client.post("/v1/auth/login", json={"username": operator, "password": "password-123"})
    staff = {"Authorization": f"Bearer {token.json['access_token']}"}
    body = {"name": "Tea House", "address": "1 Main St", "region_code": "BJ-DC", "kind": "shop"}
    venue = client.post("/v1/venues", json=body, headers=staff).json
    place = client.get(f"/v1/venues/{venue['id']}/place-code", headers=staff).json["code"]
    green, red = _codes(client, resident, official, run_jobs)

    context = chromium.new_context(viewport={"width": 360, "height": 900}, locale="en-GB")
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_url}/scan/")
    expect(page.locator("body")).to_have_attribute("data-ready", "1")  # start-up moves the focus
    page.get_by_label("User name").fill(operator)
    page.get_by_label("Password").fill("password-123")
    page.get_by_role("button", name="Log in and sync").click()
    expect(page.locator("#notice")).to_contain_text("Synced: version")

    page.get_by_label("The venue's place code (HCP1:…)").fill(green)  # not a place code
    page.get_by_role("button", name="Use this venue's policy").click()
    expect(page.locator("#venue-error")).to_have_text(
        "This is not a health code (for example a place code)."
    )
    page.get_by_label("The venue's place code (HCP1:…)").fill(place)
    page.get_by_role("button", name="Use this venue's policy").click()
    expect(page.locator("#venue-policy")).to_have_text("Admits: GREEN")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")

    context.set_offline(True)
    admitted = scan(page, green)
    assert admitted["tone"] == "green", admitted
    refused = scan(page, red)
    assert refused["tone"] == "refused" and refused["detail"] == "COLOR_NOT_ADMITTED", refused
    assert refused["holder"] == "This venue does not admit this colour."
    page.locator("#answer").click()
    expect(page.locator("#venue-pending")).to_have_text("Entry log: 2 not uploaded.")
    snap(page, "scan-venue-offline")

    context.set_offline(False)
    expect(page.locator("#venue-pending")).to_have_text(
        "Entry log: 0 not uploaded.", timeout=10_000
    )
    expect(page.locator("#venue-uploaded")).to_contain_text("Uploaded: 2 new")
    kept = client.get(f"/v1/venues/{venue['id']}/entries", headers=staff).json
    assert sorted((e["admit"], e["reason"]) for e in kept) == [
        (False, "COLOR_NOT_ADMITTED"),
        (True, None),
    ]
    assert all(e["offline"] for e in kept)
    page.get_by_role("button", name="Upload the entry log").click()  # nothing left to send
    expect(page.locator("#venue-uploaded")).to_contain_text("Uploaded: 0 new")
    assert len(client.get(f"/v1/venues/{venue['id']}/entries", headers=staff).json) == 2
    assert not errors, errors
    context.close()
