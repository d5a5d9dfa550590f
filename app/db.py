"""Database engine, sessions and the declarative base."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


PING_AFTER_IDLE_S = 1.0  # a pooled connection idle this long is checked before use


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    """A random, unguessable identifier."""
    return uuid.uuid4()


def new_ids(count: int) -> list[uuid.UUID]:
    """Many random (v4) identifiers at once (one call to the OS random source)."""
    pool = os.urandom(16 * count)
    return [uuid.UUID(bytes=pool[i : i + 16], version=4) for i in range(0, 16 * count, 16)]


def ordered_ids(count: int) -> list[uuid.UUID]:
    """Time-ordered (v7-style) identifiers: cheap to insert into big indexes.

    For internal rows only; people's ids stay v4, whose uniform spread full recomputes use.
    """
    millis = time.time_ns() // 1_000_000
    prefix = millis << 80
    pool = os.urandom(10 * count)
    ids = []
    for i in range(count):
        tail = int.from_bytes(pool[10 * i : 10 * i + 10])
        value = (prefix | tail) & ~(0xF << 76) & ~(0x3 << 62)
        ids.append(uuid.UUID(int=value | (0x7 << 76) | (0x2 << 62)))
    return ids


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a busy timeout."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    if url.startswith("postgresql"):
        # No JIT: it compiles any query whose plan is estimated costly, and the estimates of
        # the service's small queries often are (a new batch, a new source): 30-50 ms of
        # compiling for a query that reads three rows, and seconds for a rule-set query.
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args["options"] = f"{connect_args.get('options', '')} -c jit=off".lstrip()
    engine = create_engine(url, **kwargs)
    _ping_after_idle(engine)
    return engine


def _ping_after_idle(engine: Engine) -> None:
    """Check a pooled connection before use only when it sat idle (the server may have
    restarted meanwhile): a busy server's requests skip the round trip that pool_pre_ping
    adds to each one. A dead connection found either way is replaced (the pool's
    DisconnectionError protocol); one that dies in use invalidates the whole pool."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_from"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        idle_from = record.info.get("idle_from")
        if idle_from is None or time.monotonic() - idle_from < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            raise DisconnectionError("pooled connection failed its ping") from exc


class Database:
    """An engine plus a session factory, owned by one app or one worker."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
