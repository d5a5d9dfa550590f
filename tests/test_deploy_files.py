"""compose.yaml and the Dockerfile: structure checked here; `docker compose config` where
Docker's compose plugin exists (CI), skipped with the reason elsewhere."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ROLES = ("api", "worker", "scheduler")


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_runs_every_role_with_real_health_checks() -> None:
    services = _compose()["services"]
    assert {"postgres", "redis", "migrate", *ROLES} <= set(services)
    for name in ROLES:
        service = services[name]
        check = " ".join(service["healthcheck"]["test"])
        assert "true" not in check.split() and "exit 0" not in check, name  # can fail
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["restart"] == "unless-stopped"
        assert "HEALTHCODE_DATABASE_URL" in service["environment"]
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])
    assert services["worker"]["healthcheck"]["test"][1:4] == ["python", "-m", "app.heartbeat"]
    assert "scheduler" in services["scheduler"]["healthcheck"]["test"]
    assert services["migrate"]["command"][-1] == "setup"  # db upgrade, keys init, rules init
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"]
    assert "api" in services and "ports" not in services["worker"]


def test_heartbeat_check_fails_when_stale_and_passes_when_fresh(tmp_path: Path) -> None:
    import os
    import sys
    import time

    from app import heartbeat

    env = dict(os.environ, HEALTHCODE_HEARTBEAT_DIR=str(tmp_path))

    def check(role: str) -> int:
        # a fresh Python per check: the fresh heartbeat gets a wide margin for a slow machine
        command = [sys.executable, "-m", "app.heartbeat", role, "--max-age", "60"]
        return subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, timeout=60
        ).returncode

    assert check("worker") == 1  # none yet
    heartbeat.beat(str(tmp_path), "worker")
    assert check("worker") == 0
    heartbeat.path_for(str(tmp_path), "worker").write_text(f'{{"ts": {time.time() - 600}}}')
    assert check("worker") == 1


def test_heartbeat_check_does_not_load_the_web_app() -> None:
    # The container health check runs every 30 s: importing Flask, SQLAlchemy and the API
    # for it cost 4 s of CPU per run on a slow machine.
    import sys

    probe = (
        "import sys, app.heartbeat; "
        "print(sorted({m.split('.')[0] for m in sys.modules} "
        "& {'flask', 'sqlalchemy', 'redis', 'rq', 'marshmallow', 'flask_smorest', 'risk'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_dockerfile_runs_as_non_root_in_production() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "USER healthcode" in text and "HEALTHCODE_ENV=production" in text
    assert "HEALTHCHECK" in text


def test_dockerfile_build_stage_has_a_c_compiler_before_the_install() -> None:
    # The install builds codes/_cbase32.c; python:3.11-slim has no compiler of its own.
    build_stage = (ROOT / "Dockerfile").read_text().split("\nFROM ")[1]
    assert build_stage.startswith("python:3.11-slim AS build")
    assert "install -y --no-install-recommends gcc libc6-dev" in build_stage
    assert build_stage.index("gcc libc6-dev") < build_stage.index("pip install")


def _compose_command() -> list[str] | None:
    """`docker compose` (the plugin) or `docker-compose` (Debian's package), whichever works."""
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    return [standalone] if standalone is not None else None


def test_docker_compose_config_validates(tmp_path: Path) -> None:
    compose = _compose_command()
    if compose is None:
        pytest.skip("neither `docker compose` nor `docker-compose` here (.ci/run installs one)")
    env_file = ROOT / "deploy" / "healthcode.env"
    created = not env_file.exists()
    if created:
        shutil.copy(ROOT / "deploy" / "healthcode.env.example", env_file)
    try:
        result = subprocess.run(
            [*compose, "-f", str(ROOT / "compose.yaml"), "config", "--quiet"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        if created:
            env_file.unlink()
    assert result.returncode == 0, result.stderr
