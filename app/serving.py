"""How the API is served: the one gunicorn command line (make run, tests, benchmarks)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The repository root, where gunicorn.conf.py and wsgi.py live."""


def gunicorn_command(bind: str, *extra: str) -> list[str]:
    """The gunicorn command serving `wsgi:app` with gunicorn.conf.py on `bind` (run in ROOT)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(ROOT / "gunicorn.conf.py"),
        "--bind",
        bind,
        *extra,
        "wsgi:app",
    ]
