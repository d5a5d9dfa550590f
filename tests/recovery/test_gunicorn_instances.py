"""Two gunicorn instances on one host share no control socket (gunicorn 25+ has one)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from app.serving import gunicorn_command

from .conftest import Procs, free_port, wait_for


def _up(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_two_instances_on_one_host(procs: Procs, tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    same = {"XDG_RUNTIME_DIR": str(runtime), "HOME": str(tmp_path)}
    ports = [free_port(), free_port()]
    servers = [procs.start(f"api{p}", *gunicorn_command(f"127.0.0.1:{p}"), **same) for p in ports]
    for port in ports:
        wait_for(lambda port=port: _up(f"http://127.0.0.1:{port}/healthz"), 60, 0.2)
    assert all(server.poll() is None for server in servers)
    assert not list(runtime.iterdir())  # no shared default control socket
    # An instance may still have its own socket, at a path of its own.
    own = tmp_path / "third.ctl"
    third_port = free_port()
    procs.start(
        "api3",
        *gunicorn_command(f"127.0.0.1:{third_port}"),
        GUNICORN_CONTROL_SOCKET=str(own),
        **same,
    )
    wait_for(lambda: _up(f"http://127.0.0.1:{third_port}/healthz"), 60, 0.2)
    wait_for(own.exists, 10)
