"""Recompute benchmark on PostgreSQL: full recompute through RQ, its SQL floor, feed ingestion
over HTTP, and the latency of one new positive test turning a person red.

    python bench/recompute.py [--people 1000000] [--database NAME] [--redis-url URL]

Prints `figure: NAME VALUE UNIT` lines. Needs PostgreSQL and Redis on 127.0.0.1; it creates
(and drops first) its own database, `healthcode_bench` by default.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import requests  # noqa: E402
from benchlib import figure, free_port, fresh_database, log  # noqa: E402

from app.serving import gunicorn_command  # noqa: E402

REGIONS, HIGH_REGIONS = 500, 10
WORKERS = 2
UPLOADERS = 4
RUN = uuid.uuid4().hex[:6].upper()  # record ids differ from run to run (see --reuse)
SOURCE = uuid.UUID(int=1)  # the loaded records' source (records are unique per source)


def generate(dsn: str, people: int, id_hash_key: str, now: datetime) -> None:
    """Load regions, people, 3 stays and 2 tests per person (3% positive) with COPY."""
    from app.services.identity import id_hash

    rng = random.Random(42)
    day = timedelta(days=1)
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        with cur.copy("COPY regions (code, name, level, created_at, updated_at) FROM STDIN") as cp:
            for r in range(REGIONS):
                level = "high" if r < HIGH_REGIONS else "low"
                cp.write_row((f"R{r:03d}", f"Region {r}", level, long_ago, long_ago))
        with cur.copy(
            "COPY region_levels (id, region_code, level, effective_from, created_at) FROM STDIN"
        ) as cp:
            for r in range(REGIONS):
                cp.write_row((uuid.uuid4(), f"R{r:03d}", "low", long_ago, long_ago))
                if r < HIGH_REGIONS:
                    cp.write_row((uuid.uuid4(), f"R{r:03d}", "high", now - 20 * day, now))
        ids: list[uuid.UUID] = []
        with cur.copy(
            "COPY persons (id, id_hash, id_last4, created_at, updated_at) FROM STDIN"
        ) as cp:
            for i in range(people):
                pid = uuid.uuid4()
                ids.append(pid)
                number = f"B{i:08d}"
                cp.write_row((pid, id_hash(id_hash_key, number), number[-4:], now, now))
        log(f"{people} people loaded")
        with cur.copy(
            "COPY stays (id, source_id, record_id, person_id, region_code, arrived_at, "
            "departed_at, received_at) FROM STDIN"
        ) as cp:
            n = 0
            for pid in ids:
                for _ in range(3):
                    arrived = now - timedelta(seconds=rng.randrange(30 * 86400))
                    departed = None
                    if rng.random() > 0.2:
                        departed = min(now, arrived + timedelta(seconds=rng.randrange(10 * 86400)))
                    region = f"R{rng.randrange(REGIONS):03d}"
                    row = (uuid.uuid4(), SOURCE, f"s{n}", pid, region, arrived, departed, now)
                    cp.write_row(row)
                    n += 1
        log(f"{n} stays loaded")
        with cur.copy(
            "COPY lab_tests (id, source_id, record_id, person_id, kind, result, sampled_at, "
            "received_at) FROM STDIN"
        ) as cp:
            n = 0
            for pid in ids:
                for _ in range(2):
                    result = "positive" if rng.random() < 0.03 else "negative"
                    kind = "pcr" if rng.random() < 0.5 else "antigen"
                    sampled = now - timedelta(seconds=rng.randrange(30 * 86400))
                    cp.write_row((uuid.uuid4(), SOURCE, f"t{n}", pid, kind, result, sampled, now))
                    n += 1
        log(f"{n} tests loaded")
        conn.commit()
    # what autovacuum does to freshly loaded tables in production (visibility map, hint bits,
    # statistics), done now rather than at whatever moment of the run it would start
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    log("vacuumed and analysed")


FLOOR_SQL = """
CREATE TEMP TABLE floor_colours AS
WITH periods AS (
  SELECT region_code, level, effective_from AS since,
         lead(effective_from) OVER (PARTITION BY region_code ORDER BY effective_from) AS until
  FROM region_levels
), positive AS (
  SELECT DISTINCT t.person_id FROM lab_tests t
  WHERE t.result = 'positive' AND t.sampled_at + interval '14 days' > %(now)s
    AND NOT EXISTS (SELECT 1 FROM lab_tests n WHERE n.person_id = t.person_id
                    AND n.kind = 'pcr' AND n.result = 'negative' AND n.sampled_at > t.sampled_at)
), close_contact AS (
  SELECT DISTINCT person_id FROM contact_events
  WHERE kind = 'close' AND exposed_at + interval '14 days' > %(now)s
), high_stay AS (
  SELECT DISTINCT s.person_id FROM stays s JOIN periods p
    ON p.region_code = s.region_code AND p.level = 'high'
   AND (s.departed_at IS NULL OR p.since < s.departed_at)
   AND (p.until IS NULL OR p.until > s.arrived_at)
  WHERE s.departed_at IS NULL OR s.departed_at + interval '7 days' > %(now)s
), secondary AS (
  SELECT DISTINCT person_id FROM contact_events
  WHERE kind = 'secondary' AND exposed_at + interval '7 days' > %(now)s
)
SELECT p.id AS person_id,
       CASE WHEN pos.person_id IS NOT NULL OR cc.person_id IS NOT NULL THEN 'red'
            WHEN hs.person_id IS NOT NULL OR sc.person_id IS NOT NULL THEN 'yellow'
            ELSE 'green' END AS color
FROM persons p
LEFT JOIN positive pos ON pos.person_id = p.id
LEFT JOIN close_contact cc ON cc.person_id = p.id
LEFT JOIN high_stay hs ON hs.person_id = p.id
LEFT JOIN secondary sc ON sc.person_id = p.id
"""


def floor(dsn: str, now: datetime) -> tuple[float, dict[str, int]]:
    """The physical floor: one set-based statement computing every colour."""
    with psycopg.connect(dsn) as conn:
        started = time.perf_counter()
        conn.execute(FLOOR_SQL, {"now": now})
        elapsed = time.perf_counter() - started
        rows = conn.execute("SELECT color, count(*) FROM floor_colours GROUP BY color").fetchall()
    return elapsed, {c: n for c, n in rows}


def colours(dsn: str) -> dict[str, int]:
    """Stored colours per colour."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT color, count(*) FROM person_status GROUP BY color").fetchall()
    return {c: n for c, n in rows}


def start_workers(env: dict[str, str], count: int) -> list[subprocess.Popen[bytes]]:
    """RQ worker processes, as in production."""
    return [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(count)
    ]


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Stop processes and their groups."""
    for p in processes:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in processes:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def wait_for(check, timeout: float, every: float = 0.2):  # type: ignore[no-untyped-def]
    """Poll until check() is truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError("benchmark step did not finish in time")


def _wait_job(dsn: str, job_id, timeout: float) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """Wait for a tracked job to finish; its result. One connection polls (a connection per
    poll started a PostgreSQL backend ten times a second on the cores the workers share)."""
    with psycopg.connect(dsn, autocommit=True) as conn:

        def finished() -> dict | None:  # type: ignore[type-arg]
            query = "SELECT status, result FROM jobs WHERE id = %s"
            row = conn.execute(query, (job_id,)).fetchone()
            if row and row[0] == "failed":
                raise RuntimeError("job failed")
            return row[1] if row and row[0] == "finished" else None

        return wait_for(finished, timeout, every=0.1)


def drain(dsn: str, timeout: float) -> int:
    """Wait until every outbox entry is done (a publish queues venue exposures for new cases);
    the next timed step then starts on an empty queue. The number of entries waited for."""

    def pending() -> int:
        with psycopg.connect(dsn) as conn:
            row = conn.execute("SELECT count(*) FROM outbox WHERE done_at IS NULL").fetchone()
        return int(row[0]) if row else 0

    waiting = pending()
    wait_for(lambda: pending() == 0, timeout, every=0.2)
    return waiting


def per_person_policy() -> dict:  # type: ignore[type-arg]
    """The default policy plus a rule that never fires and that the columnar evaluator cannot
    compile (=== on arrays): the publish then runs the per-person engine on the same data."""
    from risk import load_default_policy

    document = load_default_policy()
    texts = {"en": "never", "zh": "never"}
    when = {
        "and": [
            {"===": [{"var": "record.kind"}, "none"]},
            {"===": [{"var": "tests"}, {"var": "tests"}]},
        ]
    }
    rule = {"id": "bench-per-person", "color": "yellow", "for_each": "tests", "when": when}
    document["rules"].append({**rule, "text": texts, "how_to_clear": texts})
    return document


def full_recompute(app, dsn: str, timeout: float, document: dict | None = None) -> float:  # type: ignore[no-untyped-def,type-arg]
    """Publish a copy of the default policy (or `document`) and time the chunked recompute by
    the workers; then wait for the work it queued (not timed)."""
    from app.db import utcnow
    from app.services import jobs, rulesets
    from risk import load_default_policy

    c = app.extensions["healthcode"]
    with app.app_context(), c.unit_of_work() as uow:
        session = uow.session
        draft = rulesets.create_draft(
            session,
            actor=None,
            document=document or load_default_policy(),
            now=utcnow(),
            description="bench",
        )
        started = time.perf_counter()
        job = jobs.start_publish(
            session,
            actor=None,
            version=draft.version,
            now=utcnow(),
            chunk_people=c.settings.recompute_chunk,
        )
        job_id = job.id
    result = _wait_job(dsn, job_id, timeout)
    elapsed = time.perf_counter() - started
    log(f"recompute job result {result} in {elapsed:.1f} s; queued work: {drain(dsn, timeout)}")
    settle(dsn)
    return elapsed


def settle(dsn: str) -> None:
    """VACUUM (ANALYZE) what a publish wrote: status rows, and the row locks the per-person
    engine takes on every person. Autovacuum would, in production, a minute or so later and on
    the same cores (this host runs PostgreSQL without it); done here, untimed, no timed step
    pays for the step before it. Without it the 2-worker step, the only one right after the
    per-person publish, paid for that publish's writes: by hand, a columnar publish right
    after the per-person one took 16.7 s and the next one on the same data 14.2 s (scale_2w
    1.75 in the run without it, 1.94 in the run with it)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) persons, person_status")


def dry_run(app, dsn: str, timeout: float) -> float:  # type: ignore[no-untyped-def]
    """Time a dry run of a draft (the default policy without its stay rule) against the active."""
    from app.db import utcnow
    from app.principal import Principal
    from app.services import jobs, rulesets
    from app.services.accounts import create_staff
    from risk import load_default_policy

    c = app.extensions["healthcode"]
    document = load_default_policy()
    document["rules"] = [r for r in document["rules"] if r["id"] != "high-risk-stay"]
    with app.app_context(), c.unit_of_work() as uow:
        session = uow.session
        official = create_staff(
            session,
            username=f"dry.{RUN.lower()}.{time.monotonic_ns()}",
            password="bench-password-1",
            role="official",
            now=utcnow(),
        )
        actor = Principal("account", official.id, role="official")
        draft = rulesets.create_draft(
            session, actor=actor, document=document, now=utcnow(), description="bench dry run"
        )
        started = time.perf_counter()
        job = jobs.start_dry_run(
            session,
            actor=actor,
            version=draft.version,
            now=utcnow(),
            chunk_people=c.settings.recompute_chunk,
        )
        job_id = job.id
    result = _wait_job(dsn, job_id, timeout)
    elapsed = time.perf_counter() - started
    log(f"dry run: before {result['before']} after {result['after']} ({result['evaluator']})")
    return elapsed


def api_key(app) -> str:  # type: ignore[no-untyped-def]
    """A feed API key created by a bench official."""
    from app.db import utcnow
    from app.security.access import Principal
    from app.services.accounts import create_staff
    from app.services.apikeys import create_key

    c = app.extensions["healthcode"]
    with app.app_context(), c.db.session() as session:
        official = create_staff(
            session,
            username=f"bench.{RUN.lower()}",
            password="bench-password-1",
            role="official",
            now=utcnow(),
        )
        actor = Principal("account", official.id, role="official")
        return create_key(session, name="bench", scopes=["feed:tests"], actor=actor, now=utcnow())[
            1
        ]


def key_source(dsn: str, key: str) -> uuid.UUID:
    """The id an API key's batches are recorded under (`source_id`)."""
    with psycopg.connect(dsn) as conn:
        (key_id,) = conn.execute(
            "SELECT id FROM api_keys WHERE prefix = %s", (key.split("_")[1],)
        ).fetchone()
    return key_id  # type: ignore[no-any-return]


def ingestion(base: str, key: str, dsn: str, batches: int, now: datetime) -> tuple[float, float]:
    """POST batches of 10,000 new test records; rates accepted (HTTP) and applied (workers)
    while the uploads go on."""
    headers = {"Authorization": f"Bearer {key}"}
    sampled = (now - timedelta(days=40)).isoformat()
    payloads = [
        {
            "records": [
                {
                    "record_id": f"ing-{RUN}-{b}-{i}",
                    "id_number": f"N{RUN}{b:03d}{i:06d}",
                    "kind": "pcr",
                    "result": "negative",
                    "sampled_at": sampled,
                }
                for i in range(10_000)
            ]
        }
        for b in range(batches)
    ]

    accepted_at: list[float] = []
    applied_at: dict[str, float] = {}
    uploading = threading.Event()
    uploading.set()

    def upload(payload: dict) -> str:  # type: ignore[type-arg]
        with requests.Session() as client:
            r = client.post(f"{base}/v1/feeds/tests", json=payload, headers=headers, timeout=120)
            r.raise_for_status()
            accepted_at.append(time.perf_counter())
            return str(r.json()["batch_id"])

    def watch_applied() -> None:
        """Note when each batch is first seen applied (every 50 ms, while batches remain)."""
        with psycopg.connect(dsn, autocommit=True) as conn:
            while uploading.is_set() or len(applied_at) < batches:
                for (batch_id,) in conn.execute(
                    "SELECT id FROM feed_batches WHERE status = 'applied' AND source_id = %s",
                    (source,),
                ).fetchall():
                    applied_at.setdefault(str(batch_id), time.perf_counter())
                time.sleep(0.05)

    source = key_source(dsn, key)
    watcher = threading.Thread(target=watch_applied, daemon=True)
    started = time.perf_counter()
    watcher.start()
    with ThreadPoolExecutor(UPLOADERS) as pool:  # labs upload side by side
        ids = list(pool.map(upload, payloads))
    accepted_s = time.perf_counter() - started
    uploading.clear()

    def pending() -> int:
        with psycopg.connect(dsn) as conn:
            (count,) = conn.execute(
                "SELECT count(*) FROM feed_batches WHERE id = ANY(%s) AND status <> 'applied'",
                ([uuid.UUID(i) for i in ids],),
            ).fetchone()
        return int(count)

    # the backlog when the last upload is accepted: batches still in the workers' hands (a
    # burst always ends with its last batch to apply; a growing backlog would be most of them)
    figure("ingest_backlog_batches", pending(), "batches")
    watcher.join(600)
    applied_s = time.perf_counter() - started
    figure("ingest_tail_s", applied_s - accepted_s, "s")
    figure("ingest_end_to_end_ratio", accepted_s / applied_s, "ratio")
    # While uploads go on: batches accepted per second (from the first acceptance to the
    # last) against batches applied per second (from the first apply to the last), both
    # seen from here. A backlog that grows stretches the second span; a steady one does not.
    done = sorted(applied_at.values())
    streamed = (batches - 1) * 10_000
    return streamed / (accepted_at[-1] - accepted_at[0]), streamed / (done[-1] - done[0])


def incremental(base: str, key: str, dsn: str, people: int, trials: int) -> list[float]:
    """Latency from POSTing one positive test to the person's stored colour being red."""
    headers = {"Authorization": f"Bearer {key}"}
    session = requests.Session()
    rng = random.Random(7)
    latencies = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for trial in range(trials):
            while True:
                i = rng.randrange(people)
                number = f"B{i:08d}"
                row = conn.execute(
                    "SELECT p.id, coalesce(s.color, 'green') FROM persons p "
                    "LEFT JOIN person_status s ON s.person_id = p.id WHERE p.id_last4 = %s "
                    "AND p.id_hash = %s",
                    (number[-4:], _hash(number)),
                ).fetchone()
                if row and row[1] == "green":
                    break
            person_id = row[0]
            sampled = datetime.now(UTC) - timedelta(seconds=5)  # after every generated test
            record = {
                "record_id": f"inc-{RUN}-{trial}",
                "id_number": number,
                "kind": "pcr",
                "result": "positive",
                "sampled_at": sampled.isoformat(),
            }
            started = time.perf_counter()
            r = session.post(
                f"{base}/v1/feeds/tests", json={"records": [record]}, headers=headers, timeout=30
            )
            r.raise_for_status()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                got = conn.execute(
                    "SELECT color FROM person_status WHERE person_id = %s", (person_id,)
                ).fetchone()
                if got and got[0] == "red":
                    break
                time.sleep(0.002)
            else:
                state = conn.execute(
                    "SELECT b.status, o.done_at, o.attempts, o.last_error, s.color, s.reasons "
                    "FROM feed_batches b JOIN outbox o ON o.payload->>'batch_id' = b.id::text "
                    "LEFT JOIN person_status s ON s.person_id = %s "
                    "WHERE b.id = %s",
                    (person_id, r.json()["batch_id"]),
                ).fetchone()
                raise TimeoutError(f"incremental recompute did not finish: {state}")
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


_HASH_KEY = ""


def _hash(number: str) -> str:
    from app.services.identity import id_hash

    return id_hash(_HASH_KEY, number)


def recompute_and_floor(app, dsn: str, people: int, env: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """The first recompute (everyone new), the per-person engine and the columnar one on the
    same data (2 workers), the columnar one with 1 worker, a dry run, and their SQL floor."""
    two = start_workers(env, WORKERS)
    try:
        time.sleep(3)  # the workers import the app
        log("first full recompute (every status row new), 2 workers")
        first_s = full_recompute(app, dsn, timeout=3600)
        log("full recompute, per-person engine, 2 workers")
        per_person_s = full_recompute(app, dsn, timeout=3600, document=per_person_policy())
        log("full recompute, 2 workers")
        recompute_s = full_recompute(app, dsn, timeout=3600)
        job_colours = colours(dsn)
        log("dry run, 2 workers")
        dryrun_s = dry_run(app, dsn, timeout=3600)
    finally:
        stop(two)
    one = start_workers(env, 1)
    try:
        time.sleep(3)
        log("full recompute, 1 worker")
        one_s = full_recompute(app, dsn, timeout=3600)
    finally:
        stop(one)
    log("floor: one set-based statement")
    floor_s, floor_colours = floor(dsn, datetime.now(UTC))
    figure("people", people, "persons")
    figure("recompute_first_s", first_s, "s")
    figure("recompute_per_person_s", per_person_s, "s")
    figure("recompute_1w_s", one_s, "s")
    figure("recompute_s", recompute_s, "s")
    figure("floor_s", floor_s, "s")
    figure("recompute_first_ratio", first_s / floor_s, "ratio")
    figure("recompute_per_person_ratio", per_person_s / floor_s, "ratio")
    figure("recompute_ratio", recompute_s / floor_s, "ratio")
    figure("recompute_rate", people / recompute_s, "per_s")
    figure("per_person_us", recompute_s / people * 1e6, "us")
    figure("scale_2w", one_s / recompute_s, "ratio")
    figure("dryrun_s", dryrun_s, "s")
    figure("dryrun_ratio", dryrun_s / floor_s, "ratio")
    log(f"colours job={job_colours} floor={floor_colours}")
    # the floor runs a little later, so a person or two may cross a boundary in between
    match = all(
        abs(job_colours.get(k, 0) - floor_colours.get(k, 0)) <= people // 10000
        for k in ("green", "yellow", "red")
    )
    print(f"check: job colours {'match' if match else 'DIFFER FROM'} the floor's", flush=True)


def main() -> int:
    """Run every step and print the figures."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run `finally`: stop the workers
    global _HASH_KEY
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--database", default="healthcode_bench")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--batches", type=int, default=10, help="10,000-record feed batches")
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--skip-http", action="store_true", help="no ingestion / latency steps")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the generated database of a previous run; skip (a) and (b)",
    )
    args = parser.parse_args()

    dsn = f"{args.pg}/{args.database}"
    url = dsn.replace("postgresql://", "postgresql+psycopg://")
    env = dict(
        os.environ,
        HEALTHCODE_DATABASE_URL=url,
        HEALTHCODE_REDIS_URL=args.redis_url,
        HEALTHCODE_LOG_LEVEL="WARNING",
    )
    os.environ.update(env)
    from redis import Redis

    from app.db import utcnow
    from app.factory import create_app
    from app.migrate import upgrade
    from app.services.keys import init_keys
    from app.services.rulesets import init_default

    Redis.from_url(args.redis_url).flushdb()
    if not args.reuse:
        fresh_database(f"{args.pg}/postgres", args.database)
        upgrade(url)
    app = create_app()
    c = app.extensions["healthcode"]
    _HASH_KEY = c.settings.id_hash_key
    now = utcnow()
    if not args.reuse:
        log(f"generating {args.people} people")
        generate(dsn, args.people, c.settings.id_hash_key, now)
    with app.app_context(), c.db.session() as session:
        init_keys(session, keyring=c.keyring, settings=c.settings, now=now)
        init_default(session, now=now)

    if not args.reuse:
        recompute_and_floor(app, dsn, args.people, env)
    if args.skip_http:
        return 0
    workers = start_workers(env, WORKERS)
    server: subprocess.Popen[bytes] | None = None
    try:
        time.sleep(3)  # workers import the app

        port = free_port()
        server = subprocess.Popen(
            gunicorn_command(f"127.0.0.1:{port}", "--workers", "2"),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _up(base), 30)
        key = api_key(app)
        log("ingestion")
        accepted, applied = ingestion(base, key, dsn, args.batches, now)
        figure("ingest_accepted_rate", accepted, "per_s")
        figure("ingest_applied_rate", applied, "per_s")
        log("incremental latency")
        latencies = incremental(base, key, dsn, args.people, args.trials)
        cuts = statistics.quantiles(latencies, n=100)
        figure("incremental_p50_ms", statistics.median(latencies), "ms")
        figure("incremental_p95_ms", cuts[94], "ms")
    finally:
        stop(workers + ([server] if server else []))
    return 0


def _up(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


if __name__ == "__main__":
    sys.exit(main())
