"""The restore drill (deploy/restore_drill.py) against private databases on the local
PostgreSQL: back up, drop, restore, and the restored copy still verifies codes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.migrate import upgrade

from .conftest import ROOT

# Sign three residents' codes with the stored key, as GET /v1/me/code would.
ISSUE_CODES = """
from datetime import timedelta
from sqlalchemy import select
from app.factory import create_app
from app.db import utcnow
from app.models import IssuedCode, Person
from app.services.subjects import subject_of
from codes import HEALTH, HealthClaims, issue
from codes.claims import new_code_id
c = create_app().extensions["healthcode"]
now = utcnow().replace(microsecond=0)
with c.db.session() as s:
    record, key = c.keyring.active(s)
    for person in s.scalars(select(Person).limit(3)):
        claims = HealthClaims(issuer="HC", subject=subject_of(person.id), issued_at=now,
            expires_at=now + timedelta(hours=1), code_id=new_code_id(), color="green",
            ruleset_version=1, holder_name="Z**** S**", id_last4=person.id_last4 or "0000")
        s.add(IssuedCode(id=claims.code_id, person_id=person.id, key_id=record.id, kid=record.kid,
            color="green", ruleset_version=1, issued_at=now, expires_at=claims.expires_at,
            text=issue(claims, key, kind=HEALTH)))
"""


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_restore_drill_backs_up_restores_and_verifies(database_url: str) -> None:
    if not database_url.startswith("postgresql") or shutil.which("pg_dump") is None:
        pytest.skip("the restore drill needs PostgreSQL and pg_dump: runs in the PostgreSQL run")
    name = f"hc_drill_{uuid.uuid4().hex[:8]}"
    source = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    admin = create_engine(
        make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        upgrade(source)
        env = dict(os.environ, HEALTHCODE_ENV="testing", HEALTHCODE_DATABASE_URL=source)
        for args in (("keys", "init"), ("rules", "init"), ("demo", "seed")):
            command = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
            subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=240)
        issue = [sys.executable, "-c", ISSUE_CODES]
        subprocess.run(issue, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
        result = subprocess.run(
            [
                sys.executable,
                "deploy/restore_drill.py",
                "--source",
                source,
                "--scratch",
                name + "_r",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=240,
            env=env,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "restore drill passed" in result.stdout
        assert "3 recent codes verified" in result.stdout
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}_r" WITH (FORCE)'))
        admin.dispose()


def test_restore_drill_needs_a_source_database() -> None:
    """A source URL without a database name is refused before anything is dumped or dropped."""
    drill = subprocess.run(
        [
            sys.executable,
            "deploy/restore_drill.py",
            "--source",
            "postgresql://postgres@127.0.0.1:5432",
            "--scratch",
            "hc_drill_unused",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert drill.returncode == 2
    assert "must name a database" in drill.stderr
