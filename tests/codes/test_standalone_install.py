"""The verifier installs alone: a clean venv gets codes/ without the server's dependencies,
and its CLI verifies a golden vector."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codes import VerificationKey

CODES = Path(__file__).resolve().parents[2] / "codes"
VECTOR = Path(__file__).parent / "vectors" / "place_valid.json"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_codes_installs_alone_and_its_cli_verifies_a_vector(tmp_path: Path) -> None:
    source = tmp_path / "src" / "codes"  # a copy: building must not write into the repo
    shutil.copytree(CODES, source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    install = subprocess.run(
        [python, "-m", "pip", "install", "-q", str(source)],
        capture_output=True,
        text=True,
        timeout=500,
    )
    assert install.returncode == 0, install.stderr
    server = ("flask", "sqlalchemy", "redis", "rq")
    probe = f"import importlib.util as u; print([m for m in {server} if u.find_spec(m)])"
    out = subprocess.run([python, "-c", probe], capture_output=True, text=True, cwd=tmp_path)
    assert out.stdout.strip() == "[]", out.stderr

    vector = json.loads(VECTOR.read_text())
    (tmp_path / "root.pem").write_bytes(
        VerificationKey.from_jwk(vector["root_public_jwk"]).public_pem()
    )
    store = {"format": "hcx-device-bundle/1", "etag": None, "doc": vector["bundle"]}
    (tmp_path / "bundle.json").write_text(json.dumps(store))
    args = ["--bundle", "bundle.json", "--root", "root.pem", "--now", str(vector["now"])]
    result = subprocess.run(
        [python, "-m", "codes", "verify", *args, "--kind", "place", "--json", vector["code"]],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # not the repo: the installed package must be the one that runs
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) | {"valid": True, "kind": "place"} == json.loads(result.stdout)
    help_text = subprocess.run(
        [python, "-m", "codes", "--help"], capture_output=True, text=True, cwd=tmp_path
    ).stdout
    assert "stdlib only" not in help_text and "cryptography" in help_text
