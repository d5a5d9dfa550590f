"""What the benchmarks share: the `figure:` line, progress logging, ports and databases."""

from __future__ import annotations

import socket
import sys
import time

import psycopg


def figure(name: str, value: float, unit: str) -> None:
    """Print one result line in the agreed format."""
    print(f"figure: {name} {value:.3f} {unit}", flush=True)


def log(message: str) -> None:
    """Progress on stderr (figures go to stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_database(admin_url: str, name: str) -> None:
    """Drop and create the benchmark database."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
