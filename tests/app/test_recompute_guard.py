"""A full recompute locks and writes only the people whose colour changed, and never writes over
a status that another transaction rewrote after the columnar read (it used newer records)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from app.db import utcnow
from app.models import LabTest, Person, PersonStatus
from app.services import columnar, recompute
from app.services.facts import PersonRange

EVERYONE = PersonRange(uuid.UUID(int=0), None)


def _person(session: Any, *, positive: bool, status: str | None, at: Any) -> uuid.UUID:
    pid = uuid.uuid4()
    session.add(Person(id=pid, id_hash=f"guard-{pid.hex}", id_last4="0000"))
    session.flush()
    if positive:
        session.add(
            LabTest(
                source_id=uuid.UUID(int=7),
                record_id=f"t-{pid.hex}",
                person_id=pid,
                kind="pcr",
                result="positive",
                sampled_at=at - timedelta(days=1),
            )
        )
    if status is not None:
        session.add(
            PersonStatus(
                person_id=pid,
                color=status,
                valid_until=None,
                ruleset_version=1,
                reasons=[],
                computed_at=at - timedelta(hours=1),
                since=at - timedelta(hours=1),
            )
        )
    session.flush()
    return pid


@pytest.mark.parametrize("in_chunk", [1000, 2], ids=["by-ids", "whole-selection"])
def test_a_status_rewritten_after_the_read_is_kept(
    app: Flask, monkeypatch: pytest.MonkeyPatch, in_chunk: int
) -> None:
    """Few changed people are locked by id; many (more than IN_CHUNK) by the chunk's own
    selection: the guard holds either way."""
    monkeypatch.setattr(recompute, "IN_CHUNK", in_chunk)
    c = app.extensions["healthcode"]
    now = utcnow()
    with c.db.session() as session:
        raced = _person(session, positive=True, status="green", at=now)
        plain = _person(session, positive=True, status="green", at=now)
        fresh = _person(session, positive=True, status=None, at=now)
        quiet = _person(session, positive=False, status="green", at=now)
    real_changed = columnar.changed

    def changed_then_raced(*args: Any, **kwargs: Any) -> dict[uuid.UUID, columnar.Result]:
        found = real_changed(*args, **kwargs)
        # what an incremental recompute committing between the read and the lock looks like
        session = args[0]
        row = session.get(PersonStatus, raced)
        row.color, row.computed_at = "yellow", now
        session.flush()
        return found

    monkeypatch.setattr(columnar, "changed", changed_then_raced)
    with c.db.session() as session:
        stats = recompute.recompute_range(
            session, settings=c.settings, person_range=EVERYONE, now=now
        )
        assert stats.evaluator == recompute.COLUMNAR
    with c.db.session() as session:
        colours = {
            pid: session.get(PersonStatus, pid).color  # type: ignore[union-attr]
            for pid in (raced, plain, fresh, quiet)
        }
    assert colours == {raced: "yellow", plain: "red", fresh: "red", quiet: "green"}
    assert stats.people == 4 and stats.changed == 2
