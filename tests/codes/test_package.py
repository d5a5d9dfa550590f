"""The package stays importable on a checkpoint device: no web stack, no imaging at import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_importing_codes_pulls_in_no_web_or_image_libraries() -> None:
    probe = (
        "import sys, codes, codes.cli\n"
        "bad = {'flask', 'sqlalchemy', 'redis', 'rq', 'app', 'qrcode', 'zxingcpp', 'PIL'}\n"
        "print(sorted(bad & {m.split('.')[0] for m in sys.modules}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_only_qr_module_mentions_imaging_libraries() -> None:
    for path in (REPO / "codes").glob("*.py"):
        source = path.read_text()
        for name in ("import qrcode", "import zxingcpp", "from PIL", "import flask", "from app"):
            if path.name != "qr.py" or name in ("import flask", "from app"):
                assert name not in source, f"{path.name} has {name!r}"


def test_public_api_exports() -> None:
    import codes

    for name in codes.__all__:
        assert hasattr(codes, name), name
