"""codes/ and risk/ must work on a device without flask, sqlalchemy, redis, rq or app."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("flask", "sqlalchemy", "redis", "rq", "app", "flask_smorest", "alembic")


def _modules_after(statement: str) -> set[str]:
    code = f"import sys, json; {statement}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(json.loads(out.stdout))


@pytest.mark.parametrize(
    "statement",
    [
        "import codes",
        "import risk",
        "import codes, risk, pkgutil, importlib; "
        "[importlib.import_module(m.name) for p in (codes, risk) "
        "for m in pkgutil.walk_packages(p.__path__, p.__name__ + '.') "
        "if not m.name.endswith('__main__')]",
    ],
)
def test_plain_packages_import_no_service_stack(statement: str) -> None:
    loaded = _modules_after(statement)
    leaked = sorted(m for m in loaded if m.split(".")[0] in FORBIDDEN)
    assert leaked == []


def test_codes_init_does_not_import_qrcode() -> None:
    loaded = _modules_after("import codes")
    assert not {"qrcode", "zxingcpp", "PIL"} & {m.split(".")[0] for m in loaded}


def test_the_check_would_catch_a_leak() -> None:
    loaded = _modules_after("import codes; import redis")
    assert "redis" in loaded
