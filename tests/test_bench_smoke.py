"""The benchmarks still run against the code as it is (bench/ is outside mypy: bench/codes.py
would shadow the codes package). Each runs at a tiny size; the figures are not judged here."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent


def _figures(output: str) -> dict[str, float]:
    pairs = (line.split()[1:3] for line in output.splitlines() if line.startswith("figure: "))
    return {name: float(value) for name, value in pairs}


def _run(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.timeout(300)
def test_exposure_bench_runs(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("bench/exposure.py needs PostgreSQL: runs in the PostgreSQL run")
    url = make_url(database_url)
    host = f"{url.username}@{url.host}:{url.port or 5432}"
    name = f"hc_bench_smoke_{uuid.uuid4().hex[:8]}"
    try:
        out = _run(
            "bench/exposure.py",
            "--checkins",
            "3000",
            "--venues",
            "20",
            "--rounds",
            "1",
            "--database",
            name,
            "--host",
            host,
        )
    finally:
        _run(
            "-c",
            f"import psycopg; c = psycopg.connect('postgresql://{host}/postgres', "
            f"autocommit=True); c.execute('DROP DATABASE IF EXISTS {name} WITH (FORCE)')",
        )
    figures = _figures(out)
    assert figures["exposure_case_visits"] == 1000 and figures["exposure_contacts"] > 0


@pytest.mark.timeout(300)
def test_codes_bench_runs() -> None:
    figures = _figures(_run("bench/codes.py", "--quick"))
    assert {"issue_ratio", "verify_ratio", "issue_overhead_us"} <= figures.keys()
