"""Venue exposure: a case and two visitors (one overlapping, one not), through the outbox and
a real RQ worker; exactly once; review mode."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app.db import utcnow
from tests.app.venues.conftest import iso

Login = Callable[[str], dict[str, str]]


def _check_in(client: FlaskClient, headers: dict[str, str], code: str) -> str:
    response = client.post("/v1/me/checkins", json={"place_code": code}, headers=headers)
    assert response.status_code == 201, response.json
    return str(response.json["checkin"]["id"])


def _out(client: FlaskClient, headers: dict[str, str], checkin: str) -> None:
    assert client.post(f"/v1/me/checkins/{checkin}/checkout", headers=headers).status_code == 200


def _setup(app: Flask, client: FlaskClient, login: Login, make_venue: Any, person: Any) -> Any:
    """The case and `near` are there together; `far` arrives after the case has left."""
    alice = login("venue_operator")
    venue = make_venue(alice)
    code = client.get(f"/v1/venues/{venue['id']}/place-code", headers=alice).json["code"]
    case, _, case_id = person(20)
    near, near_pid, _ = person(21)
    far, far_pid, _ = person(22)
    start = utcnow()
    case_visit = _check_in(client, case, code)
    near_visit = _check_in(client, near, code)
    _out(client, case, case_visit)
    far_visit = _check_in(client, far, code)
    _out(client, near, near_visit)
    _out(client, far, far_visit)
    return venue, case_id, near_pid, far_pid, start


def _positive(client: FlaskClient, official: dict[str, str], id_number: str) -> None:
    body = {
        "records": [
            {
                "record_id": "case-1",
                "id_number": id_number,
                "kind": "pcr",
                "result": "positive",
                "sampled_at": iso(utcnow()),
            }
        ]
    }
    assert client.post("/v1/feeds/tests", json=body, headers=official).status_code == 202


def _status(client: FlaskClient, official: dict[str, str], pid: str) -> Any:
    return client.get(f"/v1/persons/{pid}/status", headers=official).json


def test_overlapping_visitor_turns_yellow_naming_the_venue(
    app: Flask,
    client: FlaskClient,
    login: Login,
    official: dict[str, str],
    make_venue: Any,
    person: Any,
    run_jobs: Callable[[], int],
) -> None:
    venue, case_id, near_pid, far_pid, start = _setup(app, client, login, make_venue, person)
    run_jobs()
    _positive(client, official, case_id)
    for _ in range(4):  # batch -> exposure -> recompute of the contacts
        run_jobs()
    near = _status(client, official, near_pid)
    assert near["color"] == "yellow", near
    reason = near["reasons"][0]
    assert reason["rule_id"] == "venue-exposure"
    assert "Tea House" in reason["text"] and start.date().isoformat() in reason["text"]
    assert _status(client, official, far_pid)["color"] == "green"
    listed = client.get("/v1/exposures", headers=official).json
    assert len(listed) == 1 and listed[0]["status"] == "applied" and listed[0]["contacts"] == 1
    assert listed[0]["venues"][0]["name"] == "Tea House"
    assert listed[0]["venues"][0]["venue_id"] == venue["id"]

    # a redelivered exposure entry changes nothing (exactly once from the database)
    from sqlalchemy import select

    from app.models import OutboxEntry
    from app.services import apply

    container = app.extensions["healthcode"]
    with container.unit_of_work() as uow:
        entry_id = uow.session.scalar(
            select(OutboxEntry.id).where(OutboxEntry.topic == "venue_exposure")
        )
        from sqlalchemy import update

        uow.session.execute(
            update(OutboxEntry).where(OutboxEntry.id == entry_id).values(done_at=None)
        )
    with container.unit_of_work() as uow:
        assert apply.process(
            uow.session, settings=container.settings, entry_id=entry_id, now=utcnow()
        )
    assert len(client.get("/v1/exposures", headers=official).json) == 1


def test_review_mode_waits_for_an_official(
    app: Flask,
    client: FlaskClient,
    login: Login,
    official: dict[str, str],
    make_venue: Any,
    person: Any,
    run_jobs: Callable[[], int],
) -> None:
    assert (
        client.put("/v1/exposures/mode", json={"mode": "later"}, headers=official).status_code
        == 422
    )
    assert client.put("/v1/exposures/mode", json={"mode": "review"}, headers=official).json == {
        "mode": "review"
    }
    _venue, case_id, near_pid, _far, _start = _setup(app, client, login, make_venue, person)
    run_jobs()
    _positive(client, official, case_id)
    for _ in range(3):
        run_jobs()
    pending = client.get("/v1/exposures?status=pending", headers=official).json
    assert len(pending) == 1 and pending[0]["contacts"] == 1
    assert _status(client, official, near_pid)["color"] == "green"
    approved = client.post(f"/v1/exposures/{pending[0]['id']}/approve", headers=official)
    assert approved.status_code == 200 and approved.json["status"] == "applied"
    again = client.post(f"/v1/exposures/{pending[0]['id']}/dismiss", headers=official)
    assert again.status_code == 409
    run_jobs()
    assert _status(client, official, near_pid)["color"] == "yellow"


def test_an_automatic_exposure_runs_the_overlaps_once_and_sums_up_what_it_recorded(
    app: Flask,
    client: FlaskClient,
    login: Login,
    make_venue: Any,
    person: Any,
    run_jobs: Callable[[], int],
) -> None:
    """Two cases in one outbox entry: the case at two venues with a visitor at each, and a
    case nobody met. The summary comes from the contacts recorded, counted per venue."""
    import uuid

    from sqlalchemy import event

    from app.models import VenueContact
    from app.services import exposures

    operator = login("venue_operator")
    venues = [make_venue(operator, name=name) for name in ("Tea House", "Noodle Bar")]
    codes = [
        client.get(f"/v1/venues/{v['id']}/place-code", headers=operator).json["code"]
        for v in venues
    ]
    case, case_pid, _ = person(30)
    _alone, alone_pid, _ = person(31)
    visitors = [person(32), person(33)]
    for code, (visitor, _pid, _number) in zip(codes, visitors, strict=True):
        case_visit, visit = _check_in(client, case, code), _check_in(client, visitor, code)
        _out(client, case, case_visit)
        _out(client, visitor, visit)
    run_jobs()
    sampled = utcnow().isoformat()
    cases = [
        {"person_id": pid, "record_id": f"case-{pid}", "sampled_at": sampled}
        for pid in (case_pid, alone_pid)
    ]
    container = app.extensions["healthcode"]
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(container.db.engine, "before_cursor_execute", seen)
    try:
        with container.unit_of_work() as uow:
            opened = exposures.open_cases(
                uow.session, settings=container.settings, cases=cases, now=utcnow()
            )
            summaries = [(e.case_person_id, e.contacts, e.venues, e.status) for e in opened]
            recorded = uow.session.scalars(
                VenueContact.__table__.select().with_only_columns(VenueContact.person_id)
            ).all()
    finally:
        event.remove(container.db.engine, "before_cursor_execute", seen)
    overlap_runs = [s for s in statements if "case_visit" in s]
    assert len(overlap_runs) == 2  # once per case, not once for the summary and again to apply
    (case_summary, alone_summary) = summaries
    assert case_summary[0] == uuid.UUID(case_pid) and case_summary[1] == 2
    assert sorted((v["name"], v["contacts"]) for v in case_summary[2]) == [
        ("Noodle Bar", 1),
        ("Tea House", 1),
    ]
    assert {v["venue_id"] for v in case_summary[2]} == {v["id"] for v in venues}
    assert alone_summary[1:] == (0, [], "applied")
    assert sorted(map(str, recorded)) == sorted(pid for _, pid, _ in visitors)
