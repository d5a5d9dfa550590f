"""Acceptance: the real service under gunicorn issues codes; a checkpoint syncs the signed
trust bundle with `python -m codes sync`, then verifies codes offline with the server down.

Online phase (real HTTP): two residents log in by SMS code, set their profile and fetch
their code (text and PNG); the checkpoint pins the root key and syncs (full bundle); an
official withdraws resident A's codes and the checkpoint syncs again (delta); an admin
rotates the code key and the checkpoint syncs again (delta). A copy of the bundle file is
kept after each sync. Offline phase (gunicorn stopped): `python -m codes verify` against
those copies: genuine code (text and image), one changed character, expired, unknown key,
revoked, and a code of the retired key after rotation.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from app.serving import gunicorn_command

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 10  # seconds, for every HTTP request
CLI_TIMEOUT = 30  # seconds, for every subprocess
PHONE_A, PHONE_B = "+8613800000001", "+8613800000002"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _codes_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codes", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )


class Service:
    """The gunicorn process, its captured stderr and small HTTP helpers."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.http = requests.Session()

    def call(
        self, method: str, path: str, status: int, token: str | None = None, **kwargs: Any
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.http.request(
            method, self.base + path, headers=headers, timeout=TIMEOUT, **kwargs
        )
        assert response.status_code == status, (method, path, response.status_code, response.text)
        return response

    def sms_code(self, phone: str) -> str:
        """The newest login code the console SMS backend logged for a phone."""
        prefix = f"SMS to {phone}: your Healthcode login code is "
        deadline = time.monotonic() + 5
        while True:
            for line in reversed(self.log_path.read_text(errors="replace").splitlines()):
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # gunicorn's own plain-text lines
                msg = entry.get("msg", "") if isinstance(entry, dict) else ""
                if msg.startswith(prefix):
                    code = msg[len(prefix) :][:6]
                    assert code.isdigit() and len(code) == 6, msg
                    return code
            assert time.monotonic() < deadline, f"no SMS logged for {phone}"
            time.sleep(0.1)

    def resident(self, phone: str, name: str, id_number: str, birth_date: str) -> str:
        """Log a resident in through the real OTP flow, set the profile; the access token."""
        self.call("POST", "/v1/auth/otp", 202, json={"phone": phone})
        otp = self.sms_code(phone)
        token = self.call("POST", "/v1/auth/token", 200, json={"phone": phone, "otp": otp})
        access = str(token.json()["access_token"])
        profile = {"name": name, "id_number": id_number, "birth_date": birth_date}
        self.call("PUT", "/v1/me/profile", 200, access, json=profile)
        return access

    def staff(self, username: str) -> str:
        login = {"username": username, "password": "password-123"}
        return str(self.call("POST", "/v1/auth/login", 200, json=login).json()["access_token"])


def _start(env: dict[str, str], port: int, log: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        gunicorn_command(f"127.0.0.1:{port}"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=25)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def _wait_ready(service: Service, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, service.log_path.read_text(errors="replace")[-4000:]
        try:
            response = requests.get(service.base + "/readyz", timeout=5)
        except (requests.ConnectionError, requests.Timeout):  # workers still booting
            time.sleep(0.2)
            continue
        assert response.status_code == 200, response.text
        return
    raise AssertionError("gunicorn did not start")


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_checkpoint_verifies_offline_after_sync(
    database_url: str,
    redis_url: str,
    app: Flask,
    make_staff: Callable[..., str],
    tmp_path: Path,
) -> None:
    import codes

    started = time.monotonic()
    official, admin = make_staff("official"), make_staff("admin")
    port = _free_port()
    # development settings: the default key passphrase of the keys the `app` fixture made
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHCODE_")}
    env.update(
        HEALTHCODE_ENV="development",
        HEALTHCODE_DATABASE_URL=database_url,
        HEALTHCODE_REDIS_URL=redis_url,
        HEALTHCODE_LOG_JSON="true",
        GUNICORN_WORKERS="2",
    )
    log_path = tmp_path / "server.log"
    root_pem, bundle = tmp_path / "root.pem", tmp_path / "bundle.json"
    snapshots = {name: tmp_path / f"bundle-{name}.json" for name in ("first", "revoked", "rotated")}
    service = Service(port, log_path)

    with log_path.open("wb") as log:
        server = _start(env, port, log)
        try:
            _wait_ready(service, server)

            # 1. residents log in by SMS code, set their profile and fetch their code
            token_a = service.resident(PHONE_A, "Zhang San", "11010519491231002X", "1949-12-31")
            code_a = service.call("GET", "/v1/me/code", 200, token_a).json()
            assert {"code", "color", "expires_at", "kid"} <= set(code_a)
            assert code_a["code"].startswith("HCX1:") and code_a["color"] == "green"
            png = service.call("GET", "/v1/me/code.png", 200, token_a)
            assert png.headers["Content-Type"] == "image/png"
            assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
            (tmp_path / "scan.png").write_bytes(png.content)
            person_a = service.call("GET", "/v1/me/profile", 200, token_a).json()["person_id"]
            token_b = service.resident(PHONE_B, "Li Si", "E98765432", "1990-01-01")
            code_b = service.call("GET", "/v1/me/code", 200, token_b).json()
            assert code_b["kid"] == code_a["kid"]

            # 2. a checkpoint pins the root key and syncs the full bundle
            root = service.call("GET", "/v1/trust/root", 200)
            root_pem.write_bytes(root.content)
            assert root.content.startswith(b"-----BEGIN PUBLIC KEY-----")
            sync = ["sync", "--url", f"{service.base}/v1/trust", "--root", str(root_pem)]
            sync += ["--out", str(bundle), "--timeout", str(TIMEOUT)]
            done = _codes_cli(*sync)
            assert done.returncode == 0, done.stderr
            assert done.stdout.startswith("synced seq") and "delta" not in done.stdout
            shutil.copy(bundle, snapshots["first"])

            # 4. an official withdraws resident A's codes; the checkpoint syncs a delta
            official_token = service.staff(official)
            service.call("POST", f"/v1/persons/{person_a}/withdraw-codes", 204, official_token)
            done = _codes_cli(*sync)
            assert done.returncode == 0, done.stderr
            assert "(delta from seq" in done.stdout, done.stdout
            assert "revocations 1" in done.stdout
            shutil.copy(bundle, snapshots["revoked"])

            # 5. an admin rotates the code key; the checkpoint syncs again (a delta)
            rotated = service.call("POST", "/v1/keys/rotate", 201, service.staff(admin)).json()
            assert rotated["kid"] != code_a["kid"]
            done = _codes_cli(*sync)
            assert done.returncode == 0, done.stderr
            assert "(delta from seq" in done.stdout and "keys 2" in done.stdout, done.stdout
            shutil.copy(bundle, snapshots["rotated"])
            # B keeps the code of the retired key; A gets a new one, signed by the new key
            assert service.call("GET", "/v1/me/code", 200, token_b).json() == code_b
            new_a = service.call("GET", "/v1/me/code", 200, token_a).json()
            assert new_a["kid"] == rotated["kid"] and new_a["code"] != code_a["code"]
            assert _at(new_a["issued_at"]) > _at(code_a["issued_at"])
        finally:
            # 3. the server stops: the network is off from here
            _stop(server)
    assert server.returncode is not None
    with pytest.raises(requests.ConnectionError):
        requests.get(service.base + "/readyz", timeout=2)
    offline = _codes_cli(*sync)
    assert offline.returncode == 2 and "cannot fetch" in offline.stderr
    assert bundle.read_bytes() == snapshots["rotated"].read_bytes()

    def verify(snapshot: str, *args: str) -> tuple[int, dict[str, Any]]:
        done = _codes_cli(
            "verify", "--bundle", str(snapshots[snapshot]), "--root", str(root_pem), "--json", *args
        )
        assert done.returncode in (0, 1), done.stderr
        return done.returncode, json.loads(done.stdout)

    # genuine code, as text and as the PNG the resident showed
    status, result = verify("first", code_a["code"])
    assert status == 0 and result["valid"] is True, result
    assert result["color"] == "green" and result["holder_name"] == "Z**** S**"
    assert result["id_last4"] == "002X" and result["kid"] == code_a["kid"]
    status, result = verify("first", "--image", str(tmp_path / "scan.png"))
    assert status == 0 and result["valid"] is True, result

    # one changed character (in the signature)
    text = code_a["code"]
    i = len(text) - 10
    tampered = text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1 :]
    status, result = verify("first", tampered)
    assert status == 1 and result["reason"] in ("BAD_SIGNATURE", "BAD_ENCODING"), result

    # expired: a minute after expiry, well within the bundle's 24 h offline age
    expires_at = _at(code_a["expires_at"])
    status, result = verify("first", "--now", (expires_at + timedelta(minutes=1)).isoformat(), text)
    assert status == 1 and result["reason"] == "EXPIRED", result
    status, result = verify("first", "--now", (expires_at - timedelta(minutes=1)).isoformat(), text)
    assert status == 0, result

    # signed by a key the bundle does not list
    now = datetime.now(UTC).replace(microsecond=0)
    forged = codes.issue(
        codes.HealthClaims(
            issuer="HC",
            subject="p_" + codes.new_code_id(),
            issued_at=now,
            expires_at=now + timedelta(hours=12),
            code_id=codes.new_code_id(),
            color="green",
            ruleset_version=0,
            holder_name="Z**** S**",
            id_last4="002X",
        ),
        codes.SigningKey.generate(),
        kind=codes.HEALTH,
    )
    status, result = verify("first", forged)
    assert status == 1 and result["reason"] == "UNKNOWN_KEY", result

    # revocation reached the checkpoint by the delta: A's old code is withdrawn, B's is not
    status, result = verify("revoked", text)
    assert status == 1 and result["reason"] == "REVOKED", result
    status, result = verify("revoked", code_b["code"])
    assert status == 0, result

    # after rotation: B's code of the retired key still verifies, A's new code too
    status, result = verify("rotated", code_b["code"])
    assert status == 0 and result["kid"] == code_a["kid"], result
    status, result = verify("rotated", new_a["code"])
    assert status == 0 and result["kid"] == rotated["kid"], result
    status, result = verify("rotated", text)
    assert status == 1 and result["reason"] == "REVOKED", result
    status, result = verify("revoked", new_a["code"])  # a device that missed the rotation
    assert status == 1 and result["reason"] == "UNKNOWN_KEY", result

    assert time.monotonic() - started < 60
