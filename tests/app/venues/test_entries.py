"""Entry checks at the door: online decisions per policy (incl. a negative test within N
hours), who may check, the offline log uploaded twice, and the offline CLI policy."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app.db import utcnow
from tests.app.venues.conftest import iso

Login = Callable[[str], dict[str, str]]
REPO = Path(__file__).resolve().parents[3]


def _feed(
    client: FlaskClient, official: dict[str, str], id_number: str, result: str, at: Any, record: str
) -> None:
    body = {
        "records": [
            {
                "record_id": record,
                "id_number": id_number,
                "kind": "pcr",
                "result": result,
                "sampled_at": iso(at),
            }
        ]
    }
    assert client.post("/v1/feeds/tests", json=body, headers=official).status_code == 202


def _entry(client: FlaskClient, venue: dict[str, Any], headers: dict[str, str], code: str) -> Any:
    response = client.post(
        f"/v1/venues/{venue['id']}/entries", json={"code": code}, headers=headers
    )
    assert response.status_code == 200, response.json
    return response.json


def test_online_decisions_per_policy(
    client: FlaskClient,
    login: Login,
    official: dict[str, str],
    person: Any,
    make_venue: Callable[..., dict[str, Any]],
    run_jobs: Callable[[], int],
) -> None:
    alice, checkpoint = login("venue_operator"), login("checkpoint")
    green_only = make_venue(alice)
    tested = make_venue(alice, test_within_hours=24, admitted_colors=["green", "yellow"])
    healthy, _, healthy_id = person(10)
    sick, _, sick_id = person(11)
    now = utcnow()
    _feed(client, official, sick_id, "positive", now - timedelta(hours=2), "s-1")
    run_jobs()
    green = client.get("/v1/me/code", headers=healthy).json["code"]
    red = client.get("/v1/me/code", headers=sick).json["code"]

    admitted = _entry(client, green_only, alice, green)
    assert admitted["admit"] is True and admitted["color"] == "green"
    assert admitted["holder"] == "V****** 1* (" + healthy_id[-4:] + ")"
    refused = _entry(client, green_only, checkpoint, red)
    assert (refused["admit"], refused["reason"], refused["color"]) == (
        False,
        "COLOR_NOT_ADMITTED",
        "red",
    )
    assert _entry(client, green_only, alice, "HCX1:AAAA")["reason"] == "MALFORMED"
    no_test = _entry(client, tested, alice, green)
    assert (no_test["admit"], no_test["reason"]) == (False, "NO_RECENT_NEGATIVE_TEST")
    _feed(client, official, healthy_id, "negative", now - timedelta(hours=30), "h-old")
    assert _entry(client, tested, alice, green)["reason"] == "NO_RECENT_NEGATIVE_TEST"
    _feed(client, official, healthy_id, "negative", now - timedelta(hours=3), "h-new")
    run_jobs()
    assert _entry(client, tested, alice, green)["admit"] is True

    kept = client.get(f"/v1/venues/{green_only['id']}/entries", headers=alice).json
    assert [e["admit"] for e in kept] == [False, False, True]
    hourly = client.get(f"/v1/venues/{green_only['id']}/entries/hourly", headers=alice).json
    assert (sum(h["admitted"] for h in hourly), sum(h["refused"] for h in hourly)) == (1, 2)
    assert "id_number" not in json.dumps(kept) and healthy_id not in json.dumps(kept)


def test_api_key_bound_to_its_venue_only(
    client: FlaskClient, login: Login, make_venue: Callable[..., dict[str, Any]], person: Any
) -> None:
    alice, admin = login("venue_operator"), login("admin")
    mine, other = make_venue(alice), make_venue(alice)
    key = client.post(f"/v1/venues/{mine['id']}/api-keys", json={"name": "door 1"}, headers=alice)
    assert key.status_code == 201 and key.json["scopes"] == ["checkpoint"]
    device = {"Authorization": f"Bearer {key.json['secret']}"}
    holder, _, _ = person(12)
    code = client.get("/v1/me/code", headers=holder).json["code"]
    assert _entry(client, mine, device, code)["admit"] is True
    assert (
        client.post(
            f"/v1/venues/{other['id']}/entries", json={"code": code}, headers=device
        ).status_code
        == 404
    )
    unbound = client.post(
        "/v1/api-keys", json={"name": "cp", "scopes": ["checkpoint"]}, headers=admin
    ).json["secret"]
    response = client.post(
        f"/v1/venues/{mine['id']}/entries",
        json={"code": code},
        headers={"Authorization": f"Bearer {unbound}"},
    )
    assert response.status_code == 404


def test_offline_log_uploaded_twice_has_no_duplicates(
    client: FlaskClient, login: Login, make_venue: Callable[..., dict[str, Any]]
) -> None:
    alice = login("venue_operator")
    venue = make_venue(alice)
    now = utcnow()
    log = [
        {
            "entry_id": f"dev1-{i}",
            "code_id": f"code{i}",
            "scanned_at": iso(now - timedelta(minutes=i)),
            "admitted": i % 2 == 0,
            "reason": None if i % 2 == 0 else "COLOR_NOT_ADMITTED",
            "color": "green" if i % 2 == 0 else "red",
        }
        for i in range(5)
    ]
    bad = [
        {
            "entry_id": "dev1-f",
            "code_id": "x",
            "scanned_at": iso(now + timedelta(hours=2)),
            "admitted": True,
        },
        {"entry_id": "dev1-0", "code_id": "code0", "scanned_at": iso(now), "admitted": True},
        {
            "entry_id": "dev1-d",
            "code_id": "code1",
            "scanned_at": log[1]["scanned_at"],
            "admitted": False,
        },
        {"entry_id": "dev1-c", "scanned_at": iso(now), "admitted": "yes", "color": "blue"},
        "not an object",
    ]
    url = f"/v1/venues/{venue['id']}/entries/batch"
    first = client.post(url, json={"entries": log + bad}, headers=alice)
    assert first.status_code == 200, first.json
    assert (first.json["accepted"], first.json["duplicates"]) == (5, 0)
    rejected = {r["index"]: [e["pointer"] for e in r["errors"]] for r in first.json["rejected"]}
    assert rejected == {
        5: ["/scanned_at"],
        6: ["/entry_id"],
        7: ["/scanned_at"],
        8: ["/admitted", "/color"],
        9: [""],
    }
    second = client.post(url, json={"entries": log}, headers=alice)
    assert (second.json["accepted"], second.json["duplicates"]) == (0, 5)
    kept = client.get(f"/v1/venues/{venue['id']}/entries", headers=alice).json
    assert len(kept) == 5 and all(e["offline"] for e in kept)
    empty = client.post(url, json={"entries": []}, headers=alice)
    assert empty.status_code == 422 and empty.json["errors"][0]["pointer"] == "/entries"


def test_offline_cli_applies_the_place_code_policy(
    app: Flask,
    client: FlaskClient,
    login: Login,
    make_venue: Callable[..., dict[str, Any]],
    person: Any,
    official: dict[str, str],
    run_jobs: Callable[[], int],
    tmp_path: Path,
) -> None:
    alice = login("venue_operator")
    venue = make_venue(alice, test_within_hours=12)
    place = client.get(f"/v1/venues/{venue['id']}/place-code", headers=alice).json["code"]
    healthy, _, _ = person(13)
    sick, _, sick_id = person(14)
    _feed(client, official, sick_id, "positive", utcnow() - timedelta(hours=1), "p-1")
    run_jobs()
    green = client.get("/v1/me/code", headers=healthy).json["code"]
    red = client.get("/v1/me/code", headers=sick).json["code"]
    (tmp_path / "root.pem").write_bytes(client.get("/v1/trust/root").data)
    store = {"format": "hcx-device-bundle/1", "etag": None, "doc": client.get("/v1/trust").json}
    (tmp_path / "bundle.json").write_text(json.dumps(store))

    def run(code: str, *extra: str) -> tuple[int, dict[str, Any]]:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "codes",
                "verify",
                "--bundle",
                str(tmp_path / "bundle.json"),
                "--root",
                str(tmp_path / "root.pem"),
                "--place-code",
                place,
                "--json",
                *extra,
                code,
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=False,
        )
        return out.returncode, json.loads(out.stdout) if out.stdout else {"err": out.stderr}

    status, seen = run(green)
    assert (status, seen["admit"], seen["entry_reason"]) == (1, False, "NO_RECENT_NEGATIVE_TEST")
    status, seen = run(green, "--negative-test-at", iso(utcnow() - timedelta(hours=2)))
    assert (status, seen["admit"]) == (0, True)
    status, seen = run(red, "--negative-test-at", iso(utcnow() - timedelta(hours=2)))
    assert (status, seen["entry_reason"]) == (1, "COLOR_NOT_ADMITTED")
    status, seen = run(place)  # a place code where a health code is expected
    assert (status, seen["entry_reason"]) == (1, "WRONG_KIND")
