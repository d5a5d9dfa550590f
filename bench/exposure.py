"""Venue exposure benchmark on PostgreSQL: a case with 1,000 visits across venues holding 1M
check-ins; time from the case's outbox entry to its contacts recorded (set-based INSERT ...
SELECT, per-venue summary, recompute entries queued).

    python bench/exposure.py [--checkins 1000000] [--venues 1000] [--database NAME]

Prints `figure: NAME VALUE UNIT` lines. Needs PostgreSQL on 127.0.0.1; it creates (and drops
first) its own database, `healthcode_bench_exposure` by default. Target: under 5 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from benchlib import figure, fresh_database, log  # noqa: E402

from app.config import Settings  # noqa: E402
from app.db import Database  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.models import CheckIn  # noqa: E402
from app.services import exposures, retention  # noqa: E402

LIMIT_S = 5.0
CASE_VISITS = 1000
DAYS = 30


def load(dsn: str, *, checkins: int, venues: int, now: datetime) -> tuple[uuid.UUID, datetime]:
    """People, venues and check-ins over 30 days (COPY); the case's 1,000 visits in the last
    4 days, one after another across random venues. Returns (case person, sampled_at)."""
    rng = random.Random(10)
    people = [uuid.uuid4() for _ in range(max(checkins // 5, 1000))]
    venue_ids = [uuid.uuid4() for _ in range(venues)]
    owner = uuid.uuid4()
    case = people[0]
    sampled = now - timedelta(hours=1)
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO regions (code, name, level, created_at, updated_at) "
            "VALUES ('R1', 'Region 1', 'low', %s, %s)",
            (now, now),
        )
        cur.execute(
            "INSERT INTO accounts (id, role, username, created_at) "
            "VALUES (%s, 'venue_operator', 'bench', %s)",
            (owner, now),
        )
        with cur.copy(
            "COPY persons (id, id_hash, id_last4, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i, pid in enumerate(people):
                copy.write_row((pid, f"{i:064x}", "0000", now, now))
        with cur.copy(
            "COPY venues (id, owner_id, name, address, region_code, kind, admitted_colors, "
            "created_at, updated_at) FROM STDIN"
        ) as copy:
            for i, vid in enumerate(venue_ids):
                copy.write_row(
                    (vid, owner, f"Venue {i}", f"{i} Main St", "R1", "shop", '["green"]', now, now)
                )
        log(f"{len(people)} people, {venues} venues; loading {checkins} check-ins")
        with cur.copy(
            "COPY checkins (id, person_id, venue_id, place_code_id, region_code, arrived_at, "
            "departed_at, checked_out, admitted, color) FROM STDIN"
        ) as copy:
            span = DAYS * 86400
            visitors = people[1:]
            for _ in range(checkins - CASE_VISITS):
                arrived = now - timedelta(seconds=rng.randrange(span))
                stay = timedelta(minutes=rng.randrange(20, 180))
                row = (
                    uuid.uuid4(),
                    visitors[rng.randrange(len(visitors))],
                    rng.choice(venue_ids),
                    "bench",
                )
                copy.write_row((*row, "R1", arrived, arrived + stay, True, True, "green"))
            step = timedelta(days=4) / CASE_VISITS
            for i in range(CASE_VISITS):
                arrived = sampled - timedelta(days=4) + i * step
                row = (uuid.uuid4(), case, rng.choice(venue_ids), "bench")
                copy.write_row((*row, "R1", arrived, arrived + step, True, True, "green"))
        conn.commit()
        cur.execute("ANALYZE")
    return case, sampled


def main() -> None:
    """Load the data once, then time the exposure of the case a few times (rolled back)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkins", type=int, default=1_000_000)
    parser.add_argument("--venues", type=int, default=1000)
    parser.add_argument("--database", default="healthcode_bench_exposure")
    parser.add_argument("--host", default="postgres@127.0.0.1:5432")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    admin = f"postgresql://{args.host}/postgres"
    dsn = f"postgresql://{args.host}/{args.database}"
    url = f"postgresql+psycopg://{args.host}/{args.database}"
    fresh_database(admin, args.database)
    upgrade(url)
    now = datetime.now(UTC)
    database = Database(url)
    with database.sessionmaker() as session:  # the weekly partitions of the days loaded
        for weeks_back in range(DAYS // 7 + 2):
            retention.create_ahead(session, model=CheckIn, now=now - timedelta(weeks=weeks_back))
        session.commit()
    started = time.perf_counter()
    case, sampled = load(dsn, checkins=args.checkins, venues=args.venues, now=now)
    log(f"loaded in {time.perf_counter() - started:.1f} s")
    settings = Settings.load(overrides={"database_url": url})
    payload = {"person_id": str(case), "record_id": "bench", "sampled_at": sampled.isoformat()}
    timings, contacts, venues_hit = [], 0, 0
    for _ in range(args.rounds):
        with database.sessionmaker() as session:
            begin = time.perf_counter()
            (exposure,) = exposures.open_cases(session, settings=settings, cases=[payload], now=now)
            timings.append(time.perf_counter() - begin)
            contacts, venues_hit = exposure.contacts, len(exposure.venues)
            session.rollback()
    best, median = min(timings), statistics.median(timings)
    log(f"contacts {contacts} at {venues_hit} venues; rounds {[round(t, 3) for t in timings]}")
    figure("exposure_checkins", args.checkins, "rows")
    figure("exposure_case_visits", CASE_VISITS, "visits")
    figure("exposure_contacts", contacts, "people")
    figure("exposure_venues", venues_hit, "venues")
    figure("exposure_seconds_median", median, "s")
    figure("exposure_seconds_best", best, "s")
    figure("exposure_ratio_to_5s_limit", median / LIMIT_S, "x")
    database.engine.dispose()


if __name__ == "__main__":
    main()
