"""Endpoints the officials' console reads: recent batches, colours by region and over time,
a person's history (audited)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import utcnow

ID = "11010519491231002X"


def _positive(client: FlaskClient, official: dict[str, str], record_id: str) -> None:
    now = utcnow().isoformat().replace("+00:00", "Z")
    records = [
        {
            "record_id": record_id,
            "id_number": ID,
            "kind": "pcr",
            "result": "positive",
            "sampled_at": now,
        },
        {
            "record_id": record_id + "x",
            "id_number": "123",
            "kind": "pcr",
            "result": "maybe",
            "sampled_at": now,
        },
    ]
    response = client.post("/v1/feeds/tests", json={"records": records}, headers=official)
    assert response.status_code == 202, response.json


def test_recent_batches_newest_first_with_rejections(
    client: FlaskClient, login: Callable[[str], dict[str, str]], run_jobs: Callable[[], int]
) -> None:
    official = login("official")
    _positive(client, official, "c-1")
    _positive(client, official, "c-2")
    run_jobs()
    batches = client.get("/v1/feeds/batches?limit=1", headers=official)
    assert batches.status_code == 200
    assert len(batches.json) == 1
    (latest,) = batches.json
    assert latest["kind"] == "tests" and latest["accepted"] == 1
    assert latest["rejected"][0]["index"] == 1
    assert client.get("/v1/feeds/batches?limit=0", headers=official).status_code in (400, 422)
    assert client.get("/v1/feeds/batches?bogus=1", headers=official).status_code in (400, 422)


def test_colours_by_region_over_time_and_person_history(
    app: Flask,
    client: FlaskClient,
    login: Callable[[str], dict[str, str]],
    run_jobs: Callable[[], int],
) -> None:
    from app.models import AuditEvent

    official = login("official")
    _positive(client, official, "c-3")
    run_jobs()
    regions = client.get("/v1/stats/regions", headers=official).json
    assert {"region": "", "colors": {"green": 0, "yellow": 0, "red": 1}} in regions
    history = client.get("/v1/stats/history?days=3", headers=official).json
    assert len(history) == 4
    assert history[-1]["colors"]["red"] == 1 and history[0]["colors"]["red"] == 0
    person = client.post("/v1/persons/lookup", json={"id_number": ID}, headers=official).json
    changes = client.get(f"/v1/persons/{person['person_id']}/history", headers=official)
    assert changes.status_code == 200
    assert changes.json[0]["from"] == "green" and changes.json[0]["to"] == "red"
    assert changes.json[0]["reasons"][0]["rule_id"] == "positive-test"
    with app.extensions["healthcode"].db.session() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert "person.history" in actions
