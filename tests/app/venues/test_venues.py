"""Venues: operator isolation, admin transfer, officials' search, policy input errors,
place codes (rotation, grace, poster) and check-ins with forged, expired, rotated and
other-kind codes."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from app.db import utcnow
from app.errors import Unavailable
from app.services import posters
from codes import qr

Login = Callable[[str], dict[str, str]]


def test_operator_isolation(
    client: FlaskClient, login: Login, make_venue: Callable[..., dict[str, Any]], person: Any
) -> None:
    alice, bob = login("venue_operator"), login("venue_operator")
    venue = make_venue(alice)
    assert [v["id"] for v in client.get("/v1/venues", headers=alice).json] == [venue["id"]]
    assert client.get("/v1/venues", headers=bob).json == []
    base = f"/v1/venues/{venue['id']}"
    for method, path, body in (
        ("GET", base, None),
        ("PATCH", base, {"name": "Mine now"}),
        ("POST", f"{base}/deactivate", None),
        ("GET", f"{base}/place-code", None),
        ("GET", f"{base}/poster.png", None),
        ("POST", f"{base}/entries", {"code": "HCX1:AAAA"}),
        ("POST", f"{base}/entries/batch", {"entries": [{"entry_id": "x"}]}),
        ("GET", f"{base}/entries", None),
        ("GET", f"{base}/entries/hourly", None),
        ("POST", f"{base}/api-keys", {"name": "door"}),
    ):
        response = client.open(path, method=method, json=body, headers=bob)
        assert response.status_code == 404, (method, path, response.json)
        assert response.content_type == "application/problem+json"
    assert client.get(base, headers=alice).json["name"] == "Tea House"


def test_admin_transfers_and_officials_search(
    client: FlaskClient, login: Login, make_venue: Callable[..., dict[str, Any]], app: Flask
) -> None:
    alice, bob, admin, official = (
        login("venue_operator"),
        login("venue_operator"),
        login("admin"),
        login("official"),
    )
    venue = make_venue(alice)
    accounts = client.get("/v1/accounts?role=venue_operator", headers=admin).json
    ids = [a["id"] for a in accounts]
    owner = next(i for i in ids if i != venue["owner_id"])
    bad = client.post(
        f"/v1/venues/{venue['id']}/transfer", json={"owner_id": venue["id"]}, headers=admin
    )
    assert bad.status_code == 422 and bad.json["errors"][0]["pointer"] == "/owner_id"
    moved = client.post(
        f"/v1/venues/{venue['id']}/transfer", json={"owner_id": owner}, headers=admin
    )
    assert moved.status_code == 200 and moved.json["owner_id"] == owner
    assert client.get(f"/v1/venues/{venue['id']}", headers=alice).status_code == 404
    assert client.get(f"/v1/venues/{venue['id']}", headers=bob).status_code == 200
    found = client.get("/v1/venues?q=tea", headers=official).json
    assert [v["id"] for v in found] == [venue["id"]]
    assert client.get("/v1/venues?q=nothing", headers=official).json == []


def test_bad_policy_and_venue_input(client: FlaskClient, login: Login, region: str) -> None:
    alice = login("venue_operator")
    body = {"name": "Shop", "address": "2 Side St", "region_code": region, "kind": "shop"}
    cases = [
        ({"admitted_colors": ["green", "blue"]}, "/admitted_colors/1"),
        ({"admitted_colors": []}, "/admitted_colors"),
        ({"admitted_colors": ["green", "green"]}, "/admitted_colors"),
        ({"test_within_hours": -4}, "/test_within_hours"),
        ({"test_within_hours": 0}, "/test_within_hours"),
        ({"kind": "castle"}, "/kind"),
        ({"region_code": "NOWHERE"}, "/region_code"),
        ({"owner_id": "x"}, "/owner_id"),
    ]
    for change, pointer in cases:
        response = client.post("/v1/venues", json=body | change, headers=alice)
        assert response.status_code in (400, 422), change
        assert response.content_type == "application/problem+json"
        assert pointer in [e["pointer"] for e in response.json["errors"]], response.json
    unknown = client.get("/v1/venues/00000000-0000-4000-8000-000000000000", headers=alice)
    assert unknown.status_code == 404


def test_place_code_rotation_grace_and_poster(
    app: Flask,
    client: FlaskClient,
    login: Login,
    make_venue: Callable[..., dict[str, Any]],
    person: Any,
) -> None:
    alice = login("venue_operator")
    venue = make_venue(alice)
    settings = app.extensions["healthcode"].settings
    first = client.get(f"/v1/venues/{venue['id']}/place-code", headers=alice).json
    assert first["code"].startswith("HCP1:")
    assert client.get(f"/v1/venues/{venue['id']}/place-code", headers=alice).json == first
    png = client.get(f"/v1/venues/{venue['id']}/place-code.png", headers=alice)
    assert png.content_type == "image/png" and qr.decode_image(png.data) == first["code"]
    svg = client.get(f"/v1/venues/{venue['id']}/place-code.svg", headers=alice)
    assert svg.data.startswith(b"<?xml")

    visitor, _, _ = person(1)
    clock = app.extensions["healthcode"]
    start = utcnow()
    clock.clock = lambda: start + timedelta(seconds=settings.place_code_rotation + 60)
    second = client.get(f"/v1/venues/{venue['id']}/place-code", headers=alice).json
    assert second["code"] != first["code"]  # rotated
    within_grace = client.post(
        "/v1/me/checkins", json={"place_code": first["code"]}, headers=visitor
    )
    assert within_grace.status_code == 201, within_grace.json
    lifetime = settings.place_code_rotation + settings.place_code_grace
    clock.clock = lambda: start + timedelta(seconds=lifetime + 3600)
    late = client.post("/v1/me/checkins", json={"place_code": first["code"]}, headers=visitor)
    assert late.status_code == 422 and late.content_type == "application/problem+json"
    assert late.json["errors"][0]["pointer"] == "/place_code"
    assert late.json["errors"][0]["detail"].startswith("EXPIRED")
    assert (
        client.post(
            "/v1/me/checkins", json={"place_code": second["code"]}, headers=visitor
        ).status_code
        == 201
    )


def test_forged_altered_and_other_kind_codes_are_refused(
    client: FlaskClient, login: Login, make_venue: Callable[..., dict[str, Any]], person: Any
) -> None:
    from codes import PLACE, PlaceClaims, SigningKey, issue
    from codes.claims import new_code_id

    alice = login("venue_operator")
    venue = make_venue(alice)
    code = client.get(f"/v1/venues/{venue['id']}/place-code", headers=alice).json["code"]
    visitor, _, _ = person(2)
    health = client.get("/v1/me/code", headers=visitor).json["code"]
    now = utcnow().replace(microsecond=0)
    forged = issue(
        PlaceClaims(
            "HC",
            venue["id"].replace("-", ""),
            now,
            now + timedelta(days=1),
            new_code_id(),
            "BJ-DC",
            ("green", "yellow", "red"),
        ),
        SigningKey.generate("ES256"),
        kind=PLACE,
    )
    flipped = code[:-10] + ("A" if code[-10] != "A" else "B") + code[-9:]
    for text, reason in (
        (forged, "UNKNOWN_KEY"),
        (flipped, "BAD_SIGNATURE"),
        (health, "WRONG_KIND"),
        ("HCP1:abc", "BAD_ENCODING"),
        ("hello", "BAD_PREFIX"),
    ):
        response = client.post("/v1/me/checkins", json={"place_code": text}, headers=visitor)
        assert response.status_code == 422, (text, response.json)
        assert response.json["errors"][0]["detail"].split(":")[0] == reason, response.json
    assert client.get("/v1/me/checkins", headers=visitor).json == []
    client.post(f"/v1/venues/{venue['id']}/deactivate", headers=alice)
    closed = client.post("/v1/me/checkins", json={"place_code": code}, headers=visitor)
    assert closed.status_code == 422
    assert closed.json["errors"][0]["detail"].startswith("VENUE_INACTIVE")
    gone = client.get(f"/v1/venues/{venue['id']}/place-code", headers=alice)
    assert gone.status_code == 409 and gone.content_type == "application/problem+json"


def test_check_in_repeat_checkout_and_visits(
    app: Flask,
    client: FlaskClient,
    login: Login,
    make_venue: Callable[..., dict[str, Any]],
    person: Any,
    run_jobs: Callable[[], int],
) -> None:
    alice = login("venue_operator")
    venue = make_venue(alice)
    code = client.get(f"/v1/venues/{venue['id']}/place-code", headers=alice).json["code"]
    visitor, _, _ = person(3)
    first = client.post("/v1/me/checkins", json={"place_code": code}, headers=visitor)
    assert first.status_code == 201, first.json
    body = first.json
    assert body["color"] == "green" and body["admit"] is True and body["reason"] is None
    assert body["code"].startswith("HCX1:") and body["venue"]["name"] == "Tea House"
    again = client.post("/v1/me/checkins", json={"place_code": code}, headers=visitor)
    assert again.status_code == 200 and again.json["checkin"]["id"] == body["checkin"]["id"]
    visits = client.get("/v1/me/checkins", headers=visitor).json
    assert len(visits) == 1 and visits[0]["venue_name"] == "Tea House"
    out = client.post(f"/v1/me/checkins/{body['checkin']['id']}/checkout", headers=visitor)
    assert out.status_code == 200 and out.json["checked_out"] is True
    stranger, _, _ = person(4)
    other = client.post(f"/v1/me/checkins/{body['checkin']['id']}/checkout", headers=stranger)
    assert other.status_code == 404
    run_jobs()
    hourly = client.get(f"/v1/venues/{venue['id']}/entries/hourly", headers=alice).json
    assert sum(h["checkins"] for h in hourly) == 1


def test_poster_decodes_with_zxing(
    app: Flask, client: FlaskClient, login: Login, make_venue: Callable[..., dict[str, Any]]
) -> None:
    try:
        posters.font_path(app.extensions["healthcode"].settings.poster_font)
    except Unavailable:
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-microhei)")
    alice = login("venue_operator")
    venue = make_venue(alice)
    code = client.get(f"/v1/venues/{venue['id']}/place-code", headers=alice).json["code"]
    poster = client.get(f"/v1/venues/{venue['id']}/poster.png", headers=alice)
    assert poster.status_code == 200 and poster.content_type == "image/png"
    image = Image.open(io.BytesIO(poster.data))
    assert image.size == (1240, 1754)  # A4 at 150 dpi
    assert qr.decode_image(poster.data) == code  # zxing-cpp reads the printed poster
