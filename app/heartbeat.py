"""Liveness of the worker and the scheduler: each writes a heartbeat file from its loop.

`python -m app.heartbeat worker --max-age 90` exits 0 when the worker's heartbeat is fresh,
1 when it is stale or missing (a container health check; see compose.yaml). The loops write
only after a round that reached Redis (the worker's RQ heartbeat) or that finished (the
scheduler's tick), so a process stuck in a call, or cut off from Redis, turns unhealthy.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from app.config import Settings

ROLES = ("worker", "scheduler")


def path_for(directory: str, role: str) -> Path:
    """The heartbeat file of a role."""
    return Path(directory) / f"{role}.json"


def beat(directory: str, role: str, **details: object) -> None:
    """Record that the process of `role` is alive now (atomic replace, never raises)."""
    target = path_for(directory, role)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"ts": time.time(), "pid": os.getpid(), **details}))
        tmp.replace(target)
    except OSError:
        pass  # a full or read-only disk must not stop the work; the check will say so


def age(directory: str, role: str, *, now: float | None = None) -> float | None:
    """Seconds since the last heartbeat of `role`, or None when there is none."""
    try:
        data = json.loads(path_for(directory, role).read_text())
        return (time.time() if now is None else now) - float(data["ts"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def main(argv: list[str] | None = None) -> int:
    """Health check: 0 when the role's heartbeat is younger than --max-age, else 1."""
    parser = argparse.ArgumentParser(prog="python -m app.heartbeat", description=main.__doc__)
    parser.add_argument("role", choices=ROLES)
    parser.add_argument("--max-age", type=float, default=90.0, help="seconds (default 90)")
    args = parser.parse_args(argv)
    seconds = age(Settings.load().heartbeat_dir, args.role)
    if seconds is None:
        print(f"{args.role}: no heartbeat", file=sys.stderr)
        return 1
    if seconds > args.max_age:
        print(f"{args.role}: last heartbeat {seconds:.0f} s ago", file=sys.stderr)
        return 1
    print(f"{args.role}: ok ({seconds:.1f} s ago)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
