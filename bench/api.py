"""Hot endpoints under load: wrk against a real gunicorn on PostgreSQL and Redis, next to the
same server's `/healthz` in the same run.

    python bench/api.py [--database NAME] [--redis-url URL] [--seconds 5] [--rounds 3]
                        [--connections 32] [--only me_code,verify]

Endpoints: GET /v1/me/code (a resident's current code), POST /v1/verify (a checkpoint checks a
code online), GET /v1/trust answered 304 (a device's sync with nothing new), GET /v1/me/status.
Each endpoint runs `rounds` times, each time right after its own /healthz run. Prints
`figure: NAME VALUE UNIT` lines: each endpoint's median rate, median p99 and median ratio to the
/healthz run before it, with the rounds' lowest and highest ratio on a `#` line (healthz_rate is
the mean of all /healthz runs, healthz_p99_ms their median). Needs wrk (Debian package `wrk`);
creates (and drops first) its own database, `healthcode_api` by default.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from benchlib import figure, free_port, fresh_database, log  # noqa: E402

from app.services.trust import SIGNED_TIME_STEP  # noqa: E402
from app.serving import gunicorn_command  # noqa: E402

WRK = "/usr/bin/wrk"
ENDPOINTS = ("me_code", "verify", "trust_304", "me_status")


def accounts(app) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Access tokens of a resident with a proven identity and of a checkpoint."""
    from app.db import utcnow
    from app.models import Account, Person, Role
    from app.services.accounts import create_staff
    from app.services.auth import issue_tokens
    from app.services.identity import id_hash

    c = app.extensions["healthcode"]
    now = utcnow()
    with app.app_context(), c.unit_of_work() as uow:
        session = uow.session
        person = Person(
            id=uuid.uuid4(),
            id_hash=id_hash(c.settings.id_hash_key, "BENCH0001"),
            id_last4="0001",
            name_masked="B*** R*****",
            identity_method="development",
            identity_proven_at=now,
        )
        session.add(person)
        session.flush()
        resident = Account(id=uuid.uuid4(), role=Role.RESIDENT, person_id=person.id)
        session.add(resident)
        session.flush()
        checkpoint = create_staff(
            session, username="bench.gate", password="bench-password-1", role="checkpoint", now=now
        )
        tokens = (
            issue_tokens(session, settings=c.settings, account=resident, now=now).access_token,
            issue_tokens(session, settings=c.settings, account=checkpoint, now=now).access_token,
        )
    return tokens


def wrk(url: str, *, seconds: int, connections: int, script: str) -> tuple[float, float]:
    """Requests per second and p99 in ms (wrk, 2 threads); fails on any non-2xx/3xx."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(
            [WRK, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", f.name, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(f.name)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if "Non-2xx or 3xx responses" in out or (errors and any(map(int, errors.groups()[:3]))):
        raise RuntimeError(f"errors under load:\n{out}")
    if errors:  # requests past wrk's 2 s timeout: reported, not hidden in the p99 of the rest
        log(f"{url}: {errors.group(4)} requests timed out (over 2 s)")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return rate, float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def lua(method: str = "GET", headers: dict[str, str] | None = None, body: str = "") -> str:
    """A wrk script sending one fixed request."""
    lines = [f'wrk.method = "{method}"']
    for name, value in (headers or {}).items():
        lines.append(f'wrk.headers["{name}"] = {json.dumps(value)}')
    if body:
        lines.append(f"wrk.body = {json.dumps(body)}")
    return "\n".join(lines) + "\n"


def main() -> int:
    """Start the server, prepare the requests, and measure each endpoint next to /healthz."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="healthcode_api")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each endpoint")
    parser.add_argument("--only", default="", help="comma-separated endpoint names")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(ENDPOINTS)
    if not set(names) <= set(ENDPOINTS):
        parser.error(f"--only takes names from {', '.join(ENDPOINTS)}")

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
    fresh_database(f"{args.pg}/postgres", args.database)
    upgrade(url)
    app = create_app()
    c = app.extensions["healthcode"]
    with app.app_context(), c.unit_of_work() as uow:
        init_keys(uow.session, keyring=c.keyring, settings=c.settings, now=utcnow())
        init_default(uow.session, now=utcnow())
    resident, checkpoint = accounts(app)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        gunicorn_command(
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            # wrk opens all its keep-alive connections at once, and one worker can accept them
            # all while the others idle (1,060 instead of 3,000 /healthz requests/s on 2
            # workers, for seconds at a time). Capping each worker's connections spreads them,
            # as many independent clients do. gthread keeps at most worker_connections minus
            # its threads (4) alive between requests, so the cap is a worker's share plus 4.
            "--worker-connections",
            str(-(-args.connections // args.workers) + 4),
        ),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("the server did not start")
            time.sleep(0.2)
        as_resident = {"Authorization": f"Bearer {resident}"}
        as_checkpoint = {"Authorization": f"Bearer {checkpoint}"}
        code = requests.get(f"{base}/v1/me/code", headers=as_resident, timeout=10)
        code.raise_for_status()
        text = code.json()["code"]
        # The bundle's signed time moves every 5 minutes (a new ETag: one 200 per device);
        # start the 304 run where no step falls inside it.
        step = SIGNED_TIME_STEP.total_seconds()
        left = step - time.time() % step
        if left < 2 * args.rounds * len(names) * (args.seconds + 2):
            log(f"waiting {left:.0f} s for the trust bundle's next signed time")
            time.sleep(left + 1)
        trust = requests.get(f"{base}/v1/trust", timeout=10)
        trust.raise_for_status()
        etag = trust.headers["ETag"]
        check = requests.post(
            f"{base}/v1/verify", json={"code": text}, headers=as_checkpoint, timeout=10
        )
        assert check.json()["valid"], check.json()
        cases = [
            ("healthz", "/healthz", lua()),
            ("me_code", "/v1/me/code", lua(headers=as_resident)),
            (
                "verify",
                "/v1/verify",
                lua(
                    "POST",
                    {**as_checkpoint, "Content-Type": "application/json"},
                    json.dumps({"code": text}),
                ),
            ),
            ("trust_304", "/v1/trust", lua(headers={"If-None-Match": etag})),
            ("me_status", "/v1/me/status", lua(headers=as_resident)),
        ]
        # Each endpoint runs right after its own /healthz run: on a shared machine both then
        # see the same neighbours' load, and the ratio does not follow it. The median of a
        # few such pairs is not moved by one disturbed run.
        floor_name, floor_path, floor_script = cases[0]
        floors: list[tuple[float, float]] = []
        for name, path, script in cases[1:]:
            if name not in names:
                continue
            runs: list[tuple[float, float, float]] = []
            for _ in range(args.rounds):
                log(f"wrk {floor_path}, then {path}")
                floors.append(
                    wrk(
                        base + floor_path,
                        seconds=args.seconds,
                        connections=args.connections,
                        script=floor_script,
                    )
                )
                rate, p99 = wrk(
                    base + path, seconds=args.seconds, connections=args.connections, script=script
                )
                runs.append((rate / floors[-1][0], rate, p99))
            ratios = sorted(r for r, _, _ in runs)
            figure(f"{name}_rate", median(rate for _, rate, _ in runs), "per_s")
            figure(f"{name}_p99_ms", median(p99 for _, _, p99 in runs), "ms")
            figure(f"{name}_ratio", median(ratios), "ratio")
            print(f"# {name}_ratio rounds {ratios[0]:.3f}..{ratios[-1]:.3f}", flush=True)
        figure(f"{floor_name}_rate", sum(r for r, _ in floors) / len(floors), "per_s")
        figure(f"{floor_name}_p99_ms", median(p for _, p in floors), "ms")
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
