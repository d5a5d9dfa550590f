"""The schema comes from Alembic: one head, and the models match the migrations."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from app.db import Base
from app.migrate import alembic_config, current_revisions, head_revisions
from app.models.partitions import include_object


def test_single_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, heads


def test_database_migrated_from_empty_is_at_head(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert current_revisions(engine) == head_revisions()
    finally:
        engine.dispose()


def test_models_match_migrations(database_url: str) -> None:
    import app.models  # noqa: F401

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            opts = {"compare_type": True, "include_object": include_object(conn.dialect.name)}
            context = MigrationContext.configure(conn, opts=opts)
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
