"""Loading people's facts: stays carry the level periods of their own region, read only for
the regions the selected people's stays are in (a few people's new records do not read every
region's history)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from app.db import utcnow
from app.services import facts

IDS = ["11010519491231002X", "110101199003074477"]


def iso(moment) -> str:  # type: ignore[no-untyped-def]
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def official(login: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return login("official")


@pytest.fixture
def level_queries(app: Flask) -> Iterator[list[list[Any]]]:
    """The parameter values of every statement that reads region_levels."""
    engine = app.extensions["healthcode"].db.engine
    seen: list[list[Any]] = []

    def note(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if "FROM region_levels" in statement:
            seen.append(list(parameters.values() if isinstance(parameters, dict) else parameters))

    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


def _setup(client: FlaskClient, official: dict[str, str]) -> list[uuid.UUID]:
    now = utcnow()
    for code, level in (("R-A", "high"), ("R-B", "medium"), ("R-C", "high")):
        body = {"name": code, "level": level, "effective_from": iso(now - timedelta(days=30))}
        assert client.put(f"/v1/regions/{code}", json=body, headers=official).status_code == 200
    body = {"name": "R-A", "level": "low", "effective_from": iso(now - timedelta(days=2))}
    assert client.put("/v1/regions/R-A", json=body, headers=official).status_code == 200
    stays = [
        {
            "record_id": f"s{i}",
            "id_number": number,
            "region_code": code,
            "arrived_at": iso(now - timedelta(days=5)),
        }
        for i, (number, code) in enumerate(((IDS[0], "R-A"), (IDS[1], "R-B")))
    ]
    posted = client.post("/v1/feeds/travel", json={"records": stays}, headers=official)
    assert posted.json["accepted"] == 2
    return [
        uuid.UUID(
            client.post("/v1/persons/lookup", json={"id_number": n}, headers=official).json[
                "person_id"
            ]
        )
        for n in IDS
    ]


def _levels(app: Flask, person: uuid.UUID) -> list[tuple[str, list[str]]]:
    with app.extensions["healthcode"].db.session() as session:
        found = facts.load_facts(session, where=lambda column: column == person)
    return [(s.region_code, [p.level for p in s.levels]) for s in found[person].stays]


def test_a_stay_gets_its_own_regions_levels_and_only_those_are_read(
    app: Flask,
    client: FlaskClient,
    official: dict[str, str],
    level_queries: list[list[Any]],
) -> None:
    first, second = _setup(client, official)
    level_queries.clear()
    assert _levels(app, first) == [("R-A", ["high", "low"])]
    assert _levels(app, second) == [("R-B", ["medium"])]
    assert len(level_queries) == 2
    assert level_queries == [["R-A"], ["R-B"]]  # neither read R-C, nor the other's region


def test_many_regions_are_read_in_one_scan_with_the_same_facts(
    app: Flask,
    client: FlaskClient,
    official: dict[str, str],
    level_queries: list[list[Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, _ = _setup(client, official)
    monkeypatch.setattr(facts, "ALL_REGIONS_ABOVE", 0)
    level_queries.clear()
    assert _levels(app, first) == [("R-A", ["high", "low"])]
    assert level_queries == [[]]  # every region, no filter


def test_people_without_stays_read_no_levels(
    app: Flask, client: FlaskClient, official: dict[str, str], level_queries: list[list[Any]]
) -> None:
    _setup(client, official)
    level_queries.clear()
    with app.extensions["healthcode"].db.session() as session:
        assert facts.load_facts(session, where=lambda column: column == uuid.uuid4()) == {}
    assert level_queries == []
