"""Dialect-aware bulk inserts that skip or update rows on conflict."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

BATCH = 1000


def _insert(session: Session, model: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(model)


def _uniform(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Multi-row VALUES needs the same keys in every row: missing ones become NULL."""
    keys = {k for row in rows for k in row}
    return [row if len(row) == len(keys) else dict.fromkeys(keys) | row for row in rows]


def insert_ignore(
    session: Session, model: Any, rows: Sequence[dict[str, Any]], keys: list[str]
) -> int:
    """Insert rows, skipping conflicts on `keys`; returns how many were inserted."""
    inserted = 0
    table = model.__table__
    rows = _uniform(rows)
    for start in range(0, len(rows), BATCH):
        part = rows[start : start + BATCH]
        stmt = _insert(session, model).values(part).on_conflict_do_nothing(index_elements=keys)
        stmt = stmt.returning(table.c[keys[0]])
        inserted += len(session.execute(stmt).all())
    return inserted


def upsert(
    session: Session,
    model: Any,
    rows: Sequence[dict[str, Any]],
    keys: list[str],
    update: list[str],
) -> None:
    """Insert rows, updating the `update` columns where `keys` conflict."""
    rows = _uniform(rows)
    for start in range(0, len(rows), BATCH):
        part = rows[start : start + BATCH]
        stmt = _insert(session, model).values(part)
        stmt = stmt.on_conflict_do_update(
            index_elements=keys, set_={c: getattr(stmt.excluded, c) for c in update}
        )
        session.execute(stmt)
