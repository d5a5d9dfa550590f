"""The unit of work: one commit, actions after it, and a close that releases what was held."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Person
from app.unit_of_work import UnitOfWork, after_commit


def _unit(app: Flask) -> UnitOfWork:
    c = app.extensions["healthcode"]
    return UnitOfWork(c.db.sessionmaker(), relay=c.relay)


def test_close_releases_only_what_a_session_holds(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[Session] = []
    close = Session.close

    def spy(self: Session) -> None:
        closed.append(self)
        close(self)

    monkeypatch.setattr(Session, "close", spy)

    unused = _unit(app)
    unused.close()  # a request answered from memory: nothing begun, nothing loaded
    assert closed == []

    reader = _unit(app)
    reader.session.execute(select(Person.id).limit(1))
    reader.close()
    assert closed == [reader.session] and not reader.session.in_transaction()

    adder = _unit(app)  # an object added and never flushed (the request failed first)
    person = Person(id=uuid.uuid4(), id_hash="x" * 64, id_last4="0000", name_masked="A*")
    adder.session.add(person)
    adder.close()
    assert closed[-1] is adder.session and person not in adder.session

    acted: list[str] = []
    committed = _unit(app)
    committed.session.execute(select(Person.id).limit(1))
    after_commit(committed.session, lambda: acted.append("done"))
    committed.finish()
    committed.close()  # committed, holding no objects: nothing left to release
    assert acted == ["done"] and closed[-1] is adder.session
    assert not committed.session.in_transaction()
