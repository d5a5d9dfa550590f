"""Rotating the bundle root: a checkpoint that synced before keeps syncing and verifying."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from flask import Flask

from app.db import utcnow
from app.services.keys import rotate_root
from app.serving import gunicorn_command
from codes import HEALTH, HealthClaims
from codes import issue as sign_code
from codes.claims import new_code_id

from .conftest import ROOT, Procs, free_port, wait_for


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codes", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_device_synced_before_root_rotation_keeps_verifying(
    app: Flask, procs: Procs, tmp_path: Path
) -> None:
    c = app.extensions["healthcode"]
    now = utcnow()
    with c.db.session() as session:
        _record, key = c.keyring.active(session)
    claims = HealthClaims(
        issuer="HC",
        subject="rotation-subject",
        issued_at=now.replace(microsecond=0),
        expires_at=now.replace(microsecond=0) + timedelta(hours=1),
        code_id=new_code_id(),
        color="green",
        ruleset_version=1,
        holder_name="Z**** S**",
        id_last4="002X",
    )
    code = sign_code(claims, key, kind=HEALTH)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    procs.start("api", *gunicorn_command(f"127.0.0.1:{port}"))
    wait_for(lambda: _up(base + "/readyz"), 60, 0.2)
    pinned = tmp_path / "root.pem"
    pinned.write_bytes(requests.get(base + "/v1/trust/root", timeout=5).content)
    bundle = tmp_path / "bundle.json"
    sync = ("sync", "--url", base + "/v1/trust", "--root", str(pinned), "--out", str(bundle))
    assert _cli(*sync).returncode == 0
    assert _cli("verify", "--bundle", str(bundle), "--root", str(pinned), code).returncode == 0

    with c.unit_of_work() as uow:
        handover = rotate_root(uow.session, keyring=c.keyring, now=utcnow())
    new_root = requests.get(base + "/v1/trust/root", timeout=5).content
    assert new_root != pinned.read_bytes()

    result = _cli(*sync)  # the device still pins the old root
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"now trusting {handover.to_kid}" in result.stdout
    stored = json.loads(bundle.read_text())
    assert len(stored["handovers"]) == 1
    verified = _cli("verify", "--bundle", str(bundle), "--root", str(pinned), code)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert _cli(*sync).returncode == 0  # and later syncs (deltas) go on as before
    assert _cli("verify", "--bundle", str(bundle), "--root", str(pinned), code).returncode == 0
    # A new device pins the new root directly.
    fresh_root, fresh = tmp_path / "new.pem", tmp_path / "fresh.json"
    fresh_root.write_bytes(new_root)
    args = ("sync", "--url", base + "/v1/trust", "--root", str(fresh_root), "--out", str(fresh))
    assert _cli(*args).returncode == 0
    assert _cli("verify", "--bundle", str(fresh), "--root", str(fresh_root), code).returncode == 0


def _up(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False
