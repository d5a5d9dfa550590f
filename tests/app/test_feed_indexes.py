"""On PostgreSQL the person index of each partitioned record table covers every column the
columnar evaluator's fill reads (`app/services/columnar.py`): a chunk's records are then read by
an index-only scan, not from heap pages scattered in upload order."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import Column, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.visitors import iterate

from app.feed_kinds import FEEDS
from app.models.partitions import PARTITIONED
from app.services import columnar

PERSON_INDEXES = {
    "lab_tests": "ix_lab_tests_person_sampled",
    "stays": "ix_stays_person_id",
    "contact_events": "ix_contact_events_person_exposed",
    "checkins": "ix_checkins_person_arrived",
}

INDEXED_COLUMNS = """
SELECT a.attname FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
WHERE c.relname = :name
"""


def _read(session: Session, spec: object) -> set[str]:
    """The record table's columns that the columnar fill selects for one feed kind."""
    table = spec.model.__table__  # type: ignore[attr-defined]
    _, _, columns = columnar._records(session, spec)
    return {
        node.name
        for node in iterate(select(*columns))
        if isinstance(node, Column) and node.table is table
    }


def test_person_indexes_cover_the_columnar_fill(app: Flask, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("INCLUDE exists on PostgreSQL only: runs in the PostgreSQL run")
    specs = [s for s in FEEDS.values() if s.model.__tablename__ in PARTITIONED]
    assert {s.model.__tablename__ for s in specs} == set(PERSON_INDEXES)
    with app.extensions["healthcode"].db.session() as session:
        for spec in specs:
            name = PERSON_INDEXES[spec.model.__tablename__]
            indexed = set(session.scalars(text(INDEXED_COLUMNS), {"name": name}))
            read = _read(session, spec)
            assert "person_id" in read
            assert read <= indexed, f"{name} lacks {sorted(read - indexed)}"
