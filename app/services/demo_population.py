"""A believable demo population: residents across the demo regions with tests, stays, contacts.

Deterministic (seeded random), set-based inserts, idempotent: the people and records have
fixed ids and record ids, so a second run inserts nothing. Colours come from a recompute
with the active rule set.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.models import ContactEvent, LabTest, Person, Stay
from app.models.feeds import record_key
from app.services.identity import id_hash
from app.services.recompute import recompute_people
from app.services.upsert import copy_insert_ignore

PEOPLE = 3000
SEED = 20200101
MARKER = "demo-p-00000"  # record id of the first demo test: present means seeded
AREA_CODES = ("310115", "310101", "110105", "440106", "420106")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


# Records are unique per (source, record_id); the demo data has a source of its own.
DEMO_SOURCE = uuid.UUID(int=2)


def prc_id(area: str, born: datetime, serial: int) -> str:
    """A valid 18-character PRC resident ID (check digit included)."""
    body = f"{area}{born:%Y%m%d}{serial % 1000:03d}"
    return body + _CHECK[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


@dataclass
class Population:
    """The rows of one generated population."""

    persons: list[dict[str, Any]] = field(default_factory=list)
    tests: list[dict[str, Any]] = field(default_factory=list)
    stays: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)


def generate(hash_key: str, regions: list[str], now: datetime, people: int = PEOPLE) -> Population:
    """Generate the population (pure: no database)."""
    rng = random.Random(SEED)
    pop = Population()
    for n in range(people):
        born = datetime(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
        number = prc_id(AREA_CODES[n % len(AREA_CODES)], born, n)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(("", *GIVEN))
        pid = _uuid(rng)
        masked = name[0] + "*" * (len(name) - 2) + name[-1] if len(name) > 2 else name[0] + "*"
        pop.persons.append(
            {
                "id": pid,
                "id_hash": id_hash(hash_key, number),
                "id_last4": number[-4:],
                "name_masked": masked,
                "birth_date": born.date(),
                "created_at": now,
                "updated_at": now,
            }
        )
        if n < 5:
            pop.examples.append(number)
        _records(rng, pop, pid, n, regions, now)
    return pop


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _records(
    rng: random.Random, pop: Population, pid: uuid.UUID, n: int, regions: list[str], now: datetime
) -> None:
    def ago(max_days: float) -> datetime:
        """A time up to max_days before now, at least an hour ago."""
        return now - timedelta(seconds=rng.uniform(3600, max_days * 86400))

    base = {"person_id": pid, "batch_id": None, "received_at": now}
    for k in range(rng.choice((0, 0, 1, 1, 2))):
        result = "positive" if rng.random() < 0.06 else "negative"
        kind = rng.choice(("pcr", "pcr", "antigen"))
        pop.tests.append(
            base
            | {
                "id": _uuid(rng),
                "record_id": f"demo-p-{n:05d}" if k == 0 else f"demo-t-{n:05d}-{k}",
                "kind": kind,
                "result": result,
                "sampled_at": ago(20),
            }
        )
    if regions and rng.random() < 0.5:
        arrived = ago(12)
        pop.stays.append(
            base
            | {
                "id": _uuid(rng),
                "record_id": f"demo-s-{n:05d}",
                "region_code": rng.choice(regions),
                "arrived_at": arrived,
                "departed_at": min(now, arrived + timedelta(days=rng.uniform(0.5, 4))),
            }
        )
    if rng.random() < 0.07:
        pop.contacts.append(
            base
            | {
                "id": _uuid(rng),
                "record_id": f"demo-c-{n:05d}",
                "kind": rng.choice(("close", "secondary", "secondary")),
                "exposed_at": ago(16),
            }
        )


def seed_population(
    session: Session, *, settings: Settings, regions: list[str], now: datetime
) -> list[str]:
    """Insert the demo population once and compute its colours (flushes, not committed)."""
    if session.scalar(select(LabTest.id).where(LabTest.record_id == MARKER)) is not None:
        return ["demo population already present"]
    pop = generate(settings.id_hash_key, regions, now)
    inserted = copy_insert_ignore(session, model=Person, rows=pop.persons, keys=["id_hash"])
    # records only for the people really inserted (a resident may already hold a demo ID)
    kept = {p["id"] for p in pop.persons if p["id_hash"] in inserted}
    for model, rows in ((LabTest, pop.tests), (Stay, pop.stays), (ContactEvent, pop.contacts)):
        copy_insert_ignore(
            session,
            model=model,
            rows=[r | {"source_id": DEMO_SOURCE} for r in rows if r["person_id"] in kept],
            keys=record_key(session.get_bind().dialect.name),
        )
    stats = recompute_people(session, settings=settings, ids=sorted(kept), now=now)
    return [
        f"created {len(kept)} demo residents with {len(pop.tests)} tests, {len(pop.stays)} "
        f"stays and {len(pop.contacts)} contacts; colours computed for {stats.people}",
        "demo ID numbers to look up: " + ", ".join(pop.examples),
    ]
