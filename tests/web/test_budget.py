"""Each client's own HTML+JS+CSS stays under 150 KB uncompressed (shared files count for each)."""

from __future__ import annotations

from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "app" / "web"
BUDGET = 150 * 1024
COMMON = [*(WEB / "static" / "common").glob("*.js"), *(WEB / "static" / "common").glob("*.css")]
CLIENTS = {
    "resident": ["templates/web/base.html", "templates/web/resident.html", "static/resident"],
    "console": ["templates/web/base.html", "templates/web/console.html", "static/console"],
}


def _size(parts: list[str]) -> int:
    files = list(COMMON)
    for part in parts:
        path = WEB / part
        files += [f for f in path.rglob("*") if f.is_file()] if path.is_dir() else [path]
    return sum(f.stat().st_size for f in files)


def test_each_client_is_under_its_budget() -> None:
    for name, parts in CLIENTS.items():
        size = _size(parts)
        assert size < BUDGET, f"{name}: {size} bytes"
