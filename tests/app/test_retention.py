"""Feed retention: the setting, and the purge job on both databases (partitions or DELETE)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.config import RULE_LOOKBACK_DAYS, ConfigError, Settings
from app.db import utcnow
from app.models import (
    Account,
    AuditEvent,
    CheckIn,
    ContactEvent,
    LabTest,
    Person,
    Region,
    Stay,
    Venue,
)
from risk import load_default_policy

DATE_COMPARISONS = ("after", "before", "not-after", "not-before")


def _clock(node: Any) -> bool:
    date = node["plusTime"][0] if isinstance(node, dict) and "plusTime" in node else None
    return isinstance(date, dict) and date.get("var", "").rsplit("/", 1)[-1] == "now"


def _look_backs(node: Any) -> Iterator[float]:
    """Days a clock comparison reaches back: the amounts of plusTime over record dates."""
    if isinstance(node, list):
        for item in node:
            yield from _look_backs(item)
    elif isinstance(node, dict):
        for op, args in node.items():
            if op in DATE_COMPARISONS and any(_clock(a) for a in args):
                for arg in args:
                    if isinstance(arg, dict) and "plusTime" in arg and not _clock(arg):
                        _, amount, unit = arg["plusTime"]
                        yield amount if unit == "day" else amount / 24
            yield from _look_backs(args)


def test_retention_must_exceed_the_rules_look_back() -> None:
    windows = list(_look_backs([rule["when"] for rule in load_default_policy()["rules"]]))
    assert max(windows) == RULE_LOOKBACK_DAYS
    assert Settings.load({}).feed_retention_days == 90
    assert Settings.load({}, {"FEED_RETENTION_DAYS": RULE_LOOKBACK_DAYS + 1})
    for days in (RULE_LOOKBACK_DAYS, 0, 3651):
        with pytest.raises(ConfigError, match="HEALTHCODE_FEED_RETENTION_DAYS must exceed"):
            Settings.load({"HEALTHCODE_FEED_RETENTION_DAYS": str(days)})


def test_check_ins_are_kept_longer_than_the_rules_and_the_exposure_window_look_back() -> None:
    assert Settings.load({}).checkin_retention_days == 28
    assert Settings.load({"HEALTHCODE_CHECKIN_RETENTION_DAYS": "15"}).checkin_retention_days == 15
    too_short = (
        {"HEALTHCODE_CHECKIN_RETENTION_DAYS": str(RULE_LOOKBACK_DAYS)},
        {"HEALTHCODE_CHECKIN_RETENTION_DAYS": "20", "HEALTHCODE_EXPOSURE_WINDOW_DAYS": "20"},
        {"HEALTHCODE_CHECKIN_RETENTION_DAYS": "3651"},
    )
    for environ in too_short:
        with pytest.raises(ConfigError, match="HEALTHCODE_CHECKIN_RETENTION_DAYS must exceed"):
            Settings.load(environ)


class Records:
    """Feed rows written straight into the tables, with the received_at a test needs."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.source = uuid.uuid4()
        self.person = uuid.uuid4()
        now = utcnow()
        session.add(Person(id=self.person, id_hash=uuid.uuid4().hex, id_last4="0000"))
        if session.get(Region, "XX-RET") is None:
            session.add(Region(code="XX-RET", name="Retention", created_at=now, updated_at=now))
        session.flush()

    def add(self, model: Any, record_id: str, received: datetime, **fields: Any) -> None:
        """One record of `model` received at `received` (its event time defaults to it)."""
        row: dict[str, Any] = {
            "id": uuid.uuid4(),
            "source_id": self.source,
            "record_id": record_id,
            "person_id": self.person,
            "received_at": received,
        }
        if model is LabTest:
            row |= {"kind": "pcr", "result": "negative", "sampled_at": received}
        elif model is ContactEvent:
            row |= {"kind": "close", "exposed_at": received}
        else:
            row |= {"region_code": "XX-RET", "arrived_at": received - timedelta(days=1)}
            row |= {"departed_at": received}
        self.session.execute(insert(model), [row | fields])

    def ids(self, model: Any) -> set[str]:
        """The record ids of `model` stored now."""
        return set(self.session.scalars(select(model.record_id)))

    def check_in(self, arrived: datetime) -> uuid.UUID:
        """A visit of an hour beginning at `arrived` (at a venue made on first use)."""
        if not hasattr(self, "venue"):
            owner = Account(id=uuid.uuid4(), role="venue_operator", username=uuid.uuid4().hex)
            self.venue = Venue(
                id=uuid.uuid4(),
                owner_id=owner.id,
                name="Retention Cafe",
                address="1 Main St",
                region_code="XX-RET",
                kind="restaurant",
                admitted_colors=["green"],
            )
            self.session.add(owner)
            self.session.flush()
            self.session.add(self.venue)
            self.session.flush()
        row = {
            "id": uuid.uuid4(),
            "person_id": self.person,
            "venue_id": self.venue.id,
            "place_code_id": "pc",
            "region_code": "XX-RET",
            "arrived_at": arrived,
            "departed_at": arrived + timedelta(hours=1),
            "checked_out": True,
            "admitted": True,
            "color": "green",
        }
        self.session.execute(insert(CheckIn), [row])
        return row["id"]

    def visits(self) -> set[uuid.UUID]:
        """The ids of the check-ins stored now."""
        return set(self.session.scalars(select(CheckIn.id)))


@pytest.fixture
def records(app: Flask) -> Iterator[Records]:
    with app.extensions["healthcode"].db.session() as session:
        yield Records(session)
        session.commit()


def test_purge_job_removes_expired_records_and_keeps_the_rest(app: Flask, records: Records) -> None:
    from app.jobs.retention import purge_expired

    now = utcnow()
    old, recent = now - timedelta(days=120), now - timedelta(days=10)
    for model in (LabTest, ContactEvent, Stay):
        records.add(model, "old", old)
        records.add(model, "recent", recent)
    records.add(Stay, "open", old, departed_at=None)  # still there: the rules see it
    records.add(Stay, "leaving", old, departed_at=now - timedelta(days=3))
    # check-ins are kept 28 days by default; on PostgreSQL a week is dropped once all of it
    # has expired, so a check-in is gone for sure a week after that (whatever weeks exist)
    records.check_in(now - timedelta(days=36))
    kept = {records.check_in(now - timedelta(days=27)), records.check_in(now)}
    records.session.commit()
    with app.app_context():
        assert purge_expired() == {"lab_tests": 1, "stays": 1, "contact_events": 1, "checkins": 1}
    records.session.expire_all()
    assert records.ids(LabTest) == records.ids(ContactEvent) == {"recent"}
    assert records.ids(Stay) == {"recent", "open", "leaving"}
    assert records.visits() == kept
    purged_visits = records.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "checkins.purge")
    ).one()
    assert purged_visits.target_id == "checkins" and purged_visits.details["rows"] == 1
    audit = records.session.scalars(select(AuditEvent).where(AuditEvent.action == "feeds.purge"))
    logged = {event.target_id: event.details for event in audit}
    assert {table: details["rows"] for table, details in logged.items()} == {
        "lab_tests": 1,
        "stays": 1,
        "contact_events": 1,
    }
    with app.app_context():
        assert purge_expired() == {"lab_tests": 0, "stays": 0, "contact_events": 0, "checkins": 0}
    records.session.expire_all()
    assert records.ids(Stay) == {"recent", "open", "leaving"}
    assert records.visits() == kept


def test_purge_honours_the_retention_setting(
    app: Flask, records: Records, settings_override: Callable[..., None]
) -> None:
    from app.jobs.retention import purge_expired

    now = utcnow()
    records.add(LabTest, "40-days", now - timedelta(days=40))
    records.add(LabTest, "20-days", now - timedelta(days=20))
    records.session.commit()
    with app.app_context():
        assert purge_expired()["lab_tests"] == 0  # 90 days by default
    settings_override(feed_retention_days=30)
    with app.app_context():
        assert purge_expired()["lab_tests"] == 1
    records.session.expire_all()
    assert records.ids(LabTest) == {"20-days"}
    visits = {records.check_in(now - timedelta(days=d)): d for d in (26, 16)}
    records.session.commit()
    with app.app_context():
        assert purge_expired()["checkins"] == 0  # 28 days by default
    settings_override(checkin_retention_days=18)
    with app.app_context():
        assert purge_expired()["checkins"] == 1  # 18 days, and on PostgreSQL a week at most more
    records.session.expire_all()
    assert [visits[v] for v in records.visits()] == [16]


def test_scheduler_enqueues_the_purge_hourly_and_a_worker_runs_it(
    app: Flask, records: Records, run_jobs: Callable[[], int]
) -> None:
    from app.jobs import get_queue
    from app.scheduler import PERIODIC, tick

    [entry] = [p for p in PERIODIC if p.func == "app.jobs.retention.purge_expired"]
    container = app.extensions["healthcode"]
    assert entry.period(container.settings) == 3600
    records.add(ContactEvent, "old", utcnow() - timedelta(days=200))
    records.session.commit()
    stamp = utcnow().timestamp()
    with app.app_context():
        assert tick(stamp)
    job = get_queue(container.redis, container.settings.queue_name).fetch_job(
        f"periodic-purge_expired-{int(stamp // 3600)}"
    )
    assert job is not None
    run_jobs()
    job.refresh()
    assert job.return_value() == {"lab_tests": 0, "stays": 0, "contact_events": 1, "checkins": 0}
    records.session.expire_all()
    assert records.ids(ContactEvent) == set()


def test_every_partitioned_table_expires_and_every_expiring_table_is_partitioned() -> None:
    from app.models.partitions import PARTITIONED
    from app.services.retention import EXPIRING

    assert {table.model.__tablename__ for table in EXPIRING} == set(PARTITIONED)
    settings = Settings.load({}, {"FEED_RETENTION_DAYS": 60, "CHECKIN_RETENTION_DAYS": 21})
    kept = {table.model.__tablename__: table.retention(settings).days for table in EXPIRING}
    assert kept == {"lab_tests": 60, "stays": 60, "contact_events": 60, "checkins": 21}
