"""`demo seed` creates a believable population once, with computed colours."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from app.models import Person, PersonStatus
from app.services.demo import seed
from app.services.demo_population import generate, prc_id
from app.services.identity import normalize_id_number


def test_generated_ids_are_valid_and_deterministic() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, tzinfo=UTC)
    one, two = generate("k", ["R1"], now, people=200), generate("k", ["R1"], now, people=200)
    assert one.persons == two.persons and one.tests == two.tests
    for number in one.examples:
        assert normalize_id_number(number) == number
    assert prc_id("110105", datetime(1949, 12, 31), 2) == "11010519491231002X"


def test_seed_creates_colours_and_is_idempotent(app: Flask) -> None:
    c = app.extensions["healthcode"]
    with c.db.session() as session:
        first = seed(session, settings=c.settings)
    assert any("demo residents" in line for line in first)
    with c.db.session() as session:
        people = session.scalar(select(func.count()).select_from(Person))
        query = select(PersonStatus.color, func.count()).group_by(PersonStatus.color)
        colours = dict(session.execute(query).all())
        assert people is not None and people >= 3000
        assert colours.get("red", 0) > 20 and colours.get("yellow", 0) > 20
        assert colours["green"] > colours["red"] + colours["yellow"]
        assert seed(session, settings=c.settings)[-1] == "demo population already present"
        assert session.scalar(select(func.count()).select_from(Person)) == people
