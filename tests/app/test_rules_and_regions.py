"""Officials: region levels (targeted recompute), rule sets (validation, dry-run, publish), jobs."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import utcnow
from app.models import AuditEvent, PersonStatus
from risk import load_default_policy

IDS = ["11010519491231002X", "110101199003074477", "110101198001010010"]


def iso(moment) -> str:  # type: ignore[no-untyped-def]
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def official(login: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return login("official")


def _put_region(client: FlaskClient, headers: dict[str, str], code: str, level: str, start) -> None:  # type: ignore[no-untyped-def]
    body = {"name": code.title(), "level": level, "effective_from": iso(start)}
    response = client.put(f"/v1/regions/{code}", json=body, headers=headers)
    assert response.status_code == 200, response.json


def _status(client: FlaskClient, headers: dict[str, str], person_id: str) -> str:
    return client.get(f"/v1/persons/{person_id}/status", headers=headers).json["color"]


def _person(client: FlaskClient, headers: dict[str, str], id_number: str) -> str:
    return client.post("/v1/persons/lookup", json={"id_number": id_number}, headers=headers).json[
        "person_id"
    ]


def test_region_level_change_recomputes_only_overlapping_stays(
    app: Flask, client: FlaskClient, official: dict[str, str], run_jobs: Callable[[], int]
) -> None:
    now = utcnow()
    _put_region(client, official, "R-A", "low", now - timedelta(days=30))
    _put_region(client, official, "R-B", "low", now - timedelta(days=30))
    stays = [
        {
            "record_id": "s0",
            "id_number": IDS[0],
            "region_code": "R-A",
            "arrived_at": iso(now - timedelta(days=3)),
            "departed_at": iso(now - timedelta(days=1)),
        },
        {
            "record_id": "s1",
            "id_number": IDS[1],
            "region_code": "R-A",
            "arrived_at": iso(now - timedelta(days=20)),
            "departed_at": iso(now - timedelta(days=10)),
        },
        {
            "record_id": "s2",
            "id_number": IDS[2],
            "region_code": "R-B",
            "arrived_at": iso(now - timedelta(days=3)),
        },
    ]
    assert (
        client.post("/v1/feeds/travel", json={"records": stays}, headers=official).json["accepted"]
        == 3
    )
    run_jobs()
    people = [_person(client, official, n) for n in IDS]
    _put_region(client, official, "R-A", "high", now - timedelta(days=4))
    queued = run_jobs()
    assert queued == 1  # one recompute entry: the two people with stays in R-A
    assert [_status(client, official, p) for p in people] == ["yellow", "green", "green"]
    region = client.get("/v1/regions/R-A", headers=official).json
    assert [h["level"] for h in region["history"]] == ["low", "high"]
    assert region["level"] == "high"
    with app.extensions["healthcode"].db.session() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.target_id == "R-A")).all()
    assert sorted(actions) == ["region.create", "region.level"]


def test_region_validation(client: FlaskClient, official: dict[str, str]) -> None:
    bad = client.put(
        "/v1/regions/R-A",
        json={"name": "A", "level": "extreme", "effective_from": "2026-01-01T00:00:00"},
        headers=official,
    )
    assert bad.status_code == 422
    assert {e["pointer"] for e in bad.json["errors"]} == {"/level", "/effective_from"}
    assert client.get("/v1/regions/NOPE", headers=official).status_code == 404


def test_invalid_rule_set_lists_every_error_with_pointers(
    client: FlaskClient, official: dict[str, str]
) -> None:
    doc = load_default_policy()
    body = {"default_color": "purple", "rules": copy.deepcopy(doc["rules"])}
    body["rules"][0]["color"] = "blue"
    body["rules"][1]["when"] = {"nonsense-op": [1]}
    response = client.post("/v1/rulesets", json=body, headers=official)
    assert response.status_code == 422
    pointers = {e["pointer"] for e in response.json["errors"]}
    assert "/default_color" in pointers
    assert "/rules/0/color" in pointers
    assert any(p.startswith("/rules/1/when") for p in pointers)


def _seventy_two_hour_rule() -> dict:  # type: ignore[type-arg]
    doc = load_default_policy()
    rules = [r for r in doc["rules"]]
    readme_rule = {
        "id": "no-recent-negative-test",
        "color": "yellow",
        "when": {
            "!": [
                {
                    "some": [
                        {"var": "tests"},
                        {
                            "and": [
                                {"===": [{"var": "result"}, "negative"]},
                                {
                                    "after": [
                                        {"plusTime": [{"var": "sampled_at"}, 72, "hour"]},
                                        {"plusTime": [{"var": "../now"}, 0, "hour"]},
                                    ]
                                },
                            ]
                        },
                    ]
                }
            ]
        },
        "text": {"en": "No negative test in the last 72 hours.", "zh": "72小时内无阴性检测结果。"},
        "how_to_clear": {"en": "Get tested.", "zh": "请进行检测。"},
    }
    return {
        "default_color": doc["default_color"],
        "rules": [*rules, readme_rule],
        "description": "72 h testing",
    }


def test_dry_run_then_publish(
    app: Flask, client: FlaskClient, official: dict[str, str], run_jobs: Callable[[], int]
) -> None:
    now = utcnow()
    tests = [
        {
            "record_id": "n0",
            "id_number": IDS[0],
            "kind": "pcr",
            "result": "negative",
            "sampled_at": iso(now - timedelta(hours=10)),
        },
        {
            "record_id": "n1",
            "id_number": IDS[1],
            "kind": "pcr",
            "result": "negative",
            "sampled_at": iso(now - timedelta(days=5)),
        },
        {
            "record_id": "p2",
            "id_number": IDS[2],
            "kind": "pcr",
            "result": "positive",
            "sampled_at": iso(now - timedelta(days=1)),
        },
    ]
    client.post("/v1/feeds/tests", json={"records": tests}, headers=official)
    run_jobs()
    created = client.post("/v1/rulesets", json=_seventy_two_hour_rule(), headers=official)
    assert created.status_code == 201, created.json
    version = created.json["version"]
    assert created.json["status"] == "draft"
    dry = client.post(f"/v1/rulesets/{version}/dry-run", headers=official)
    assert dry.status_code == 202
    job_id = dry.json["job_id"]
    assert client.get(f"/v1/jobs/{job_id}", headers=official).json["status"] == "queued"
    run_jobs()
    job = client.get(f"/v1/jobs/{job_id}", headers=official).json
    assert job["status"] == "finished"
    assert job["progress"]["done"] == job["progress"]["total"] == 3
    result = job["result"]
    assert result["before"] == {"green": 2, "yellow": 0, "red": 1}
    assert result["after"] == {"green": 1, "yellow": 1, "red": 1}
    person1 = _person(client, official, IDS[1])
    assert result["transitions"]["green->yellow"] == 1
    assert result["examples"]["green->yellow"] == [person1]
    # nothing changed
    assert client.get("/v1/rulesets/active", headers=official).json["version"] != version
    assert _status(client, official, person1) == "green"
    published = client.post(f"/v1/rulesets/{version}/publish", headers=official)
    assert published.status_code == 202
    assert client.get("/v1/rulesets/active", headers=official).json["version"] == version
    run_jobs()
    job = client.get(f"/v1/jobs/{published.json['job_id']}", headers=official).json
    assert job["status"] == "finished" and job["result"] == {"people": 3, "evaluator": "columnar"}
    assert _status(client, official, person1) == "yellow"
    person0 = _person(client, official, IDS[0])
    status0 = client.get(f"/v1/persons/{person0}/status", headers=official).json
    assert status0["color"] == "green"
    assert status0["valid_until"].startswith(
        iso(now - timedelta(hours=10) + timedelta(hours=72))[:16]
    )
    with app.extensions["healthcode"].db.session() as s:
        actions = set(s.scalars(select(AuditEvent.action)).all())
    assert {"ruleset.create", "ruleset.dry_run", "ruleset.publish", "person.status"} <= actions
    assert client.post(f"/v1/rulesets/{version}/publish", headers=official).status_code == 409


def test_publish_splits_into_chunks_that_run_once(
    app: Flask,
    client: FlaskClient,
    official: dict[str, str],
    run_jobs: Callable[[], int],
    settings_override: Callable[..., None],
) -> None:
    now = utcnow()
    records = [
        {
            "record_id": f"x{i}",
            "id_number": f"PASSPORT{i:04d}",
            "kind": "antigen",
            "result": "negative",
            "sampled_at": iso(now - timedelta(days=1)),
        }
        for i in range(30)
    ]
    client.post("/v1/feeds/tests", json={"records": records}, headers=official)
    run_jobs()
    version = client.post("/v1/rulesets", json=_seventy_two_hour_rule(), headers=official).json[
        "version"
    ]
    settings_override(recompute_chunk=7)
    job_id = client.post(f"/v1/rulesets/{version}/publish", headers=official).json["job_id"]
    job = client.get(f"/v1/jobs/{job_id}", headers=official).json
    assert job["progress"]["chunks"] == 5
    run_jobs()
    # run every chunk a second time, as a lost-and-requeued job would: nothing is counted twice
    from app.models import OutboxEntry
    from app.services.apply import process

    container = app.extensions["healthcode"]
    with container.db.session() as s:
        entries = s.scalars(select(OutboxEntry).where(OutboxEntry.topic == "job_chunk")).all()
        for entry in entries:
            entry.done_at = None
    with container.db.session() as s:
        for entry in entries:
            process(s, settings=container.settings, entry_id=entry.id, now=utcnow())
    job = client.get(f"/v1/jobs/{job_id}", headers=official).json
    assert job["status"] == "finished"
    assert job["progress"] == {"done": 30, "total": 30, "chunks_done": 5, "chunks": 5}


def test_jobs_are_visible_to_their_creator_and_admins(
    client: FlaskClient, official: dict[str, str], login: Callable[[str], dict[str, str]]
) -> None:
    version = client.get("/v1/rulesets/active", headers=official).json["version"]
    draft = client.post("/v1/rulesets", json=_seventy_two_hour_rule(), headers=official)
    job_id = client.post(f"/v1/rulesets/{draft.json['version']}/dry-run", headers=official).json[
        "job_id"
    ]
    assert client.get(f"/v1/jobs/{job_id}", headers=login("official")).status_code == 404
    assert client.get(f"/v1/jobs/{job_id}", headers=login("admin")).status_code == 200
    assert version >= 1


def test_publish_writes_only_changed_people_and_explains_the_others_on_read(
    app: Flask, client: FlaskClient, official: dict[str, str], run_jobs: Callable[[], int]
) -> None:
    record = {
        "record_id": "pos-text",
        "id_number": "TEXT0001",
        "kind": "pcr",
        "result": "positive",
        "sampled_at": iso(utcnow() - timedelta(days=2)),
    }
    client.post("/v1/feeds/tests", json={"records": [record]}, headers=official)
    run_jobs()
    person_id = _person(client, official, "TEXT0001")
    before = client.get(f"/v1/persons/{person_id}/status", headers=official).json
    assert before["color"] == "red"
    # the same rules, another text: nobody's colour or validity changes
    rules = load_default_policy()["rules"]
    rules[0]["text"]["en"] = "Positive test (new wording)."
    document = {"default_color": "green", "rules": rules, "description": "new wording"}
    version = client.post("/v1/rulesets", json=document, headers=official).json["version"]
    job_id = client.post(f"/v1/rulesets/{version}/publish", headers=official).json["job_id"]
    run_jobs()
    assert client.get(f"/v1/jobs/{job_id}", headers=official).json["status"] == "finished"
    container = app.extensions["healthcode"]
    with container.db.session() as s:
        row = s.get(PersonStatus, uuid.UUID(person_id))
        assert row is not None and row.ruleset_version == before["rule_set_version"]
    after = client.get(f"/v1/persons/{person_id}/status", headers=official).json
    assert after["color"] == "red" and after["valid_until"] == before["valid_until"]
    assert [r["text"] for r in after["reasons"]] == ["Positive test (new wording)."]
