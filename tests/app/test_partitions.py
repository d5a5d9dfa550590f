"""Feed tables partitioned by week on PostgreSQL: partitions ahead, the DEFAULT partition,
dropping expired weeks, dedup across partitions (both databases), concurrent ingests, and the
migration on a database holding rows."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.db import utcnow
from app.feed_kinds import FeedKind
from app.migrate import alembic_config, upgrade
from app.models import CheckIn, ContactEvent, LabTest, Stay
from app.principal import ActorKind, Principal
from app.services import feeds, retention
from app.services.retention import WEEK, partition_name, week_start
from tests.app.test_retention import Records

ID = "11010519491231002X"
PREVIOUS_HEAD = "a9e1c0d2b3f4"


@pytest.fixture
def postgresql(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("partitions exist on PostgreSQL only: runs in the PostgreSQL run")
    return database_url


@pytest.fixture
def records(app: Flask, postgresql: str) -> Iterator[Records]:
    with app.extensions["healthcode"].db.session() as session:
        yield Records(session)
        session.commit()


def _home(session: Session, table: str, record_id: str) -> str:
    """The partition holding a record."""
    query = f"SELECT tableoid::regclass::text FROM {table} WHERE record_id = :r"
    return str(session.execute(text(query), {"r": record_id}).scalar_one())


def test_partitions_are_created_ahead_once(app: Flask, postgresql: str) -> None:
    later = utcnow() + timedelta(weeks=30)
    with app.extensions["healthcode"].db.session() as session:
        created = retention.create_ahead(session, model=LabTest, now=later)
        starts = [week_start(later) + i * WEEK for i in range(retention.AHEAD + 1)]
        assert created == [partition_name("lab_tests", s) for s in starts]
        assert retention.create_ahead(session, model=LabTest, now=later) == []
        bounds = {
            p.name: (p.lower, p.upper) for p in retention.partitions(session, table="lab_tests")
        }
        assert bounds[created[0]] == (starts[0], starts[0] + WEEK)
        assert starts[0].weekday() == 0 and starts[0].hour == 0
        session.rollback()


def test_rows_without_a_weekly_partition_land_in_default_and_move_into_their_week(
    app: Flask, records: Records
) -> None:
    early, late = utcnow() - timedelta(days=3 * 365), utcnow() + timedelta(weeks=40)
    records.add(LabTest, "early", early)
    records.add(LabTest, "late", late)
    records.session.commit()
    assert _home(records.session, "lab_tests", "early") == "lab_tests_default"
    assert _home(records.session, "lab_tests", "late") == "lab_tests_default"
    created = retention.create_ahead(records.session, model=LabTest, now=late)
    records.session.commit()
    assert _home(records.session, "lab_tests", "late") == created[0]
    assert _home(records.session, "lab_tests", "early") == "lab_tests_default"
    records.add(LabTest, "later", late + timedelta(minutes=1))  # the new week takes new rows
    assert _home(records.session, "lab_tests", "later") == created[0]
    result = retention.purge(
        records.session, model=LabTest, retention=timedelta(days=90), now=utcnow()
    )
    assert result.rows == 1 and records.ids(LabTest) == {"late", "later"}
    records.session.rollback()


def test_purge_drops_whole_expired_weeks_and_keeps_the_week_across_the_cutoff(
    app: Flask, records: Records
) -> None:
    now = utcnow()
    keep = timedelta(days=90)
    cutoff = now - keep
    session = records.session
    for model in (LabTest, Stay, ContactEvent):
        retention.create_ahead(session, model=model, now=cutoff - 3 * WEEK)
        retention.create_ahead(session, model=model, now=cutoff)
    old = week_start(cutoff) - 2 * WEEK + timedelta(hours=1)
    records.add(LabTest, "old", old)
    records.add(LabTest, "old-2", old + timedelta(days=1))
    records.add(ContactEvent, "old", old)
    records.add(Stay, "old-closed", old)
    records.add(Stay, "old-open", old, departed_at=None)
    records.add(LabTest, "expired-same-week", cutoff - timedelta(minutes=1))
    records.add(LabTest, "inside", cutoff + timedelta(minutes=1))
    records.add(LabTest, "now", now)
    session.commit()
    expired_week = partition_name("lab_tests", week_start(old))
    results = {
        m: retention.purge(session, model=m, retention=keep, now=now)
        for m in (LabTest, Stay, ContactEvent)
    }
    session.commit()
    assert expired_week in results[LabTest].dropped
    assert partition_name("lab_tests", week_start(cutoff)) not in results[LabTest].dropped
    assert results[LabTest].rows == 2 and results[ContactEvent].rows == 1
    assert results[Stay].rows == 1 and results[Stay].carried == 1
    assert records.ids(LabTest) == {"expired-same-week", "inside", "now"}
    assert records.ids(Stay) == {"old-open"}
    assert _home(session, "stays", "old-open") == partition_name("stays", week_start(now))
    names = {p.name for p in retention.partitions(session, table="lab_tests")}
    assert expired_week not in names
    assert all(
        p.upper is None or p.upper > cutoff
        for p in retention.partitions(session, table="lab_tests")
    )


def test_check_ins_are_partitioned_by_arrival_and_expired_weeks_dropped(
    app: Flask, records: Records
) -> None:
    now = utcnow()
    keep = timedelta(days=app.extensions["healthcode"].settings.checkin_retention_days)
    cutoff = now - keep
    session = records.session
    retention.create_ahead(session, model=CheckIn, now=cutoff - 3 * WEEK)
    retention.create_ahead(session, model=CheckIn, now=cutoff)
    old = records.check_in(week_start(cutoff) - 2 * WEEK + timedelta(hours=1))
    expired_same_week = records.check_in(cutoff - timedelta(minutes=1))
    inside = records.check_in(cutoff + timedelta(minutes=1))
    current = records.check_in(now)
    session.commit()
    home = "SELECT tableoid::regclass::text FROM checkins WHERE id = :i"
    assert session.execute(text(home), {"i": current}).scalar_one() == partition_name(
        "checkins", week_start(now)
    )
    expired_week = partition_name("checkins", week_start(cutoff) - 2 * WEEK)
    assert session.execute(text(home), {"i": old}).scalar_one() == expired_week
    result = retention.purge(session, model=CheckIn, retention=keep, now=now)
    session.commit()
    assert expired_week in result.dropped and result.rows == 1 and result.carried == 0
    # the week across the cutoff stays whole until it has all expired (a week more at most)
    assert records.visits() == {expired_same_week, inside, current}
    assert all(
        p.upper is None or p.upper > cutoff for p in retention.partitions(session, table="checkins")
    )


def test_an_exposure_search_reads_only_the_weeks_of_its_window(app: Flask, postgresql: str) -> None:
    from app.services.exposures import overlaps

    now = utcnow()
    old = now - 10 * WEEK
    with app.extensions["healthcode"].db.session() as session:
        retention.create_ahead(session, model=CheckIn, now=old)
        query = overlaps(
            exposure_id=uuid.uuid4(),
            person_id=uuid.uuid4(),
            window_from=now - timedelta(days=4),
            until=now,
        )
        compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = "\n".join(session.scalars(text(f"EXPLAIN {compiled}")))
        session.rollback()
    assert partition_name("checkins", week_start(now)) in plan
    assert partition_name("checkins", week_start(old)) not in plan, plan


def _ingest(
    app: Flask, session: Session, source: uuid.UUID, record: dict[str, Any], now: datetime
) -> feeds.IngestResult:
    actor = Principal(kind=ActorKind.ACCOUNT, id=source, role="official")
    settings = app.extensions["healthcode"].settings
    return feeds.ingest(
        session, settings=settings, actor=actor, kind=FeedKind.TESTS, records=[record], now=now
    )


def _waits_for_an_advisory_lock(engine: Engine) -> bool:
    """Whether a session comes to wait for an advisory lock within 5 s."""
    waiting = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    deadline = time.monotonic() + 5
    with engine.connect() as conn:
        while conn.execute(waiting).scalar_one() == 0:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
            conn.rollback()
    return True


def test_resends_are_duplicates_across_partitions(
    app: Flask, client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    official = login("official")
    container = app.extensions["healthcode"]
    sent = utcnow()
    record = {
        "record_id": "lab-1",
        "id_number": ID,
        "kind": "pcr",
        "result": "negative",
        "sampled_at": sent.isoformat(),
    }
    first = client.post("/v1/feeds/tests", json={"records": [record]}, headers=official).json
    assert first["accepted"] == 1
    container.clock = lambda: sent + 2 * WEEK  # the resend lands in another week's partition
    again = client.post("/v1/feeds/tests", json={"records": [record]}, headers=official).json
    assert again["accepted"] == 0 and again["duplicates"] == 1
    changed = client.post(
        "/v1/feeds/tests", json={"records": [record | {"result": "positive"}]}, headers=official
    ).json
    assert changed["accepted"] == 0
    assert changed["rejected"][0]["errors"][0]["pointer"] == "/record_id"
    with container.db.session() as session:
        assert session.scalar(select(func.count()).select_from(LabTest)) == 1


def test_concurrent_ingests_of_one_record_store_one_row(app: Flask, postgresql: str) -> None:
    container = app.extensions["healthcode"]
    source = uuid.uuid4()
    now = utcnow()
    record = {"record_id": "same", "id_number": ID, "kind": "pcr", "result": "negative"}
    record["sampled_at"] = now.isoformat()
    answers: dict[str, feeds.IngestResult] = {}
    with container.db.session() as session:  # the person exists: only the record is contended
        _ingest(app, session, source, record | {"record_id": "earlier"}, now)
        session.commit()

    def second() -> None:
        with container.db.session() as session:
            answers["second"] = _ingest(app, session, source, record, now + timedelta(seconds=1))
            session.commit()

    with container.db.session() as session:
        answers["first"] = _ingest(app, session, source, record, now)
        thread = threading.Thread(target=second)
        thread.start()
        try:
            waited = _waits_for_an_advisory_lock(container.db.engine)
        finally:
            session.commit()
            thread.join(timeout=30)
    assert answers["first"].accepted == 1
    assert answers["second"].accepted == 0 and answers["second"].duplicates == 1
    with container.db.session() as session:
        stored = select(func.count()).where(
            LabTest.record_id == "same", LabTest.source_id == source
        )
        assert session.scalar(stored) == 1
    assert waited  # the second ingest took its turn after the first committed


def _visits_before_partitioning(conn: Any, person: uuid.UUID, ages: dict[str, datetime]) -> None:
    """A venue, and a check-in of `person` there at each age (its place code id is the label)."""
    owner, venue, now = uuid.uuid4(), uuid.uuid4(), datetime.now(UTC)
    conn.execute(
        text(
            "INSERT INTO accounts (id, role, username, created_at) "
            "VALUES (:a, 'venue_operator', :u, :t)"
        ),
        {"a": owner, "u": owner.hex, "t": now},
    )
    conn.execute(
        text(
            "INSERT INTO venues (id, owner_id, name, address, region_code, kind, "
            "admitted_colors, created_at, updated_at) VALUES (:v, :a, 'Cafe', '1 Main St', "
            "'XX-MIG', 'restaurant', '[\"green\"]', :t, :t)"
        ),
        {"v": venue, "a": owner, "t": now},
    )
    for label, at in ages.items():
        conn.execute(
            text(
                "INSERT INTO checkins (id, person_id, venue_id, place_code_id, region_code, "
                "arrived_at, departed_at, checked_out, admitted, color) VALUES "
                "(gen_random_uuid(), :p, :v, :l, 'XX-MIG', :t, :t, true, true, 'green')"
            ),
            {"p": person, "v": venue, "l": label, "t": at},
        )


def _rows(engine: Engine) -> dict[str, set[tuple[str, str]]]:
    """Each partitioned table's (record_id, partition) pairs (a check-in's place code id)."""
    found = {}
    with engine.connect() as conn:
        for table in ("lab_tests", "stays", "contact_events", "checkins"):
            label = "place_code_id" if table == "checkins" else "record_id"
            query = f"SELECT {label}, tableoid::regclass::text FROM {table}"
            found[table] = {(r, p) for r, p in conn.execute(text(query))}
    return found


@pytest.mark.timeout(300)
def test_migration_moves_existing_rows_into_partitions_and_back(postgresql: str) -> None:
    name = f"hc_partition_{uuid.uuid4().hex[:8]}"
    url = make_url(postgresql).set(database=name).render_as_string(hide_password=False)
    admin = create_engine(
        make_url(postgresql).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(url)
    try:
        upgrade(url, PREVIOUS_HEAD)
        now = datetime.now(UTC)
        ages = {"now": now, "weeks": now - 3 * WEEK, "years": now - timedelta(days=800)}
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO regions (code, name, level, created_at, updated_at) "
                    "VALUES ('XX-MIG', 'Migration', 'low', :t, :t)"
                ),
                {"t": now},
            )
            person = uuid.uuid4()
            conn.execute(
                text(
                    "INSERT INTO persons (id, id_hash, id_last4, created_at, updated_at) "
                    "VALUES (:p, 'h', '0000', :t, :t)"
                ),
                {"p": person, "t": now},
            )
            for label, at in ages.items():
                common = {"p": person, "s": uuid.uuid4(), "r": label, "t": at}
                conn.execute(
                    text(
                        "INSERT INTO lab_tests (id, source_id, record_id, person_id, kind, result, "
                        "sampled_at, received_at) VALUES (gen_random_uuid(), :s, :r, :p, 'pcr', "
                        "'negative', :t, :t)"
                    ),
                    common,
                )
                conn.execute(
                    text(
                        "INSERT INTO stays (id, source_id, record_id, person_id, region_code, "
                        "arrived_at, received_at) VALUES (gen_random_uuid(), :s, :r, :p, 'XX-MIG', "
                        ":t, :t)"
                    ),
                    common,
                )
                conn.execute(
                    text(
                        "INSERT INTO contact_events (id, source_id, record_id, person_id, kind, "
                        "exposed_at, received_at) VALUES (gen_random_uuid(), :s, :r, :p, 'close', "
                        ":t, :t)"
                    ),
                    common,
                )
            _visits_before_partitioning(conn, person, ages)
        upgrade(url)
        for table, rows in _rows(engine).items():
            assert rows == {
                ("now", partition_name(table, week_start(now))),
                ("weeks", partition_name(table, week_start(ages["weeks"]))),
                ("years", f"{table}_default"),  # older than 53 weeks
            }
        with engine.begin() as conn:  # the key is (source_id, record_id, received_at) now
            keys = (
                conn.execute(
                    text(
                        "SELECT conname FROM pg_constraint WHERE conrelid = 'lab_tests'::regclass "
                        "AND contype IN ('p', 'u', 'f') ORDER BY conname"
                    )
                )
                .scalars()
                .all()
            )
        assert keys == [
            "fk_lab_tests_person_id_persons",
            "pk_lab_tests",
            "uq_lab_tests_source_record_received",
        ]
        command.downgrade(alembic_config(url), PREVIOUS_HEAD)
        for table, rows in _rows(engine).items():
            assert rows == {(label, table) for label in ages}
        upgrade(url)
        assert {len(rows) for rows in _rows(engine).values()} == {3}
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
