"""Demo data for development: staff accounts and a few regions (idempotent)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import utcnow
from app.models import Account, Region, RegionLevel
from app.services.accounts import create_staff
from app.services.demo_population import seed_population

DEMO_STAFF = (
    ("admin", "admin"),
    ("official", "official"),
    ("checkpoint", "checkpoint"),
    ("venue", "venue_operator"),
)
DEMO_REGIONS = (
    ("CN-SH-PD", "Shanghai Pudong", "low"),
    ("CN-SH-HP", "Shanghai Huangpu", "medium"),
    ("CN-BJ-CY", "Beijing Chaoyang", "low"),
    ("CN-GD-GZ", "Guangzhou", "high"),
    ("CN-HB-WH", "Wuhan", "low"),
)
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def seed(session: Session, *, settings: Settings) -> list[str]:
    """Create what is missing and report it; running twice changes nothing."""
    if settings.production:
        raise RuntimeError("demo data is never loaded in production mode")
    report: list[str] = []
    now = utcnow()
    for username, role in DEMO_STAFF:
        exists = session.scalars(select(Account).where(Account.username == username)).first()
        if exists is None:
            create_staff(
                session,
                username=username,
                password=settings.demo_password,
                role=role,
                now=now,
                enforce_policy=False,
            )
            report.append(f"created {role} account {username!r}")
    for code, name, level in DEMO_REGIONS:
        if session.get(Region, code) is None:
            session.add(Region(code=code, name=name, level=level, created_at=now))
            session.flush()
            session.add(RegionLevel(region_code=code, level=level, effective_from=EPOCH))
            report.append(f"created region {code} ({level})")
    session.flush()
    codes = [code for code, _name, _level in DEMO_REGIONS]
    report += seed_population(session, settings=settings, regions=codes, now=now)
    session.flush()
    return report
