"""Connection settings the service's queries rely on."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import text

from app.db import make_engine


def test_postgresql_connections_do_not_jit_compile(app: Flask, database_url: str) -> None:
    """JIT compiled every query whose plan was estimated costly: 30-50 ms for a feed batch's
    three-row fact query on the 1M bench, seconds for a rule-set query."""
    if not database_url.startswith("postgresql"):
        pytest.skip("JIT is PostgreSQL's: runs in the PostgreSQL run")
    with app.extensions["healthcode"].db.engine.connect() as conn:
        assert conn.execute(text("SHOW jit")).scalar_one() == "off"
    other = make_engine(database_url, connect_args={"options": "-c work_mem=8MB"})
    try:
        with other.connect() as conn:  # options of the caller's own are kept
            assert conn.execute(text("SHOW jit")).scalar_one() == "off"
            assert conn.execute(text("SHOW work_mem")).scalar_one() == "8MB"
    finally:
        other.dispose()
