"""Resident login by one-time code: expiry, single use, attempt limits, rate limits."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.db import utcnow

PHONE = "+8613800000000"


def _request(client: FlaskClient, phone: str = PHONE) -> None:
    assert client.post("/v1/auth/otp", json={"phone": phone}).status_code == 202


def _token(client: FlaskClient, code: str, phone: str = PHONE):  # type: ignore[no-untyped-def]
    return client.post("/v1/auth/token", json={"phone": phone, "otp": code})


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_first_login_creates_resident(client: FlaskClient, otp: Callable[[str], str]) -> None:
    _request(client)
    code = otp(PHONE)
    response = _token(client, code)
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    me = client.get("/v1/me/profile", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 404  # logged in as a resident, profile not yet set


def test_same_phone_logs_into_same_account(
    client: FlaskClient, otp: Callable[[str], str], app: Flask
) -> None:
    from sqlalchemy import func, select

    from app.models import Account

    for _ in range(2):
        _request(client)
        assert _token(client, otp(PHONE)).status_code == 200
    with app.extensions["healthcode"].db.session() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 1


def test_code_is_single_use(client: FlaskClient, otp: Callable[[str], str]) -> None:
    _request(client)
    code = otp(PHONE)
    assert _token(client, code).status_code == 200
    second = _token(client, code)
    assert second.status_code == 401
    assert second.content_type == "application/problem+json"


def test_code_expires_after_five_minutes(
    client: FlaskClient, otp: Callable[[str], str], app: Flask
) -> None:
    _request(client)
    code = otp(PHONE)
    app.extensions["healthcode"].clock = lambda: utcnow() + timedelta(minutes=5, seconds=1)
    assert _token(client, code).status_code == 401


def test_code_valid_just_before_expiry(
    client: FlaskClient, otp: Callable[[str], str], app: Flask
) -> None:
    _request(client)
    code = otp(PHONE)
    app.extensions["healthcode"].clock = lambda: utcnow() + timedelta(minutes=4, seconds=50)
    assert _token(client, code).status_code == 200


def test_five_attempts_then_locked(client: FlaskClient, otp: Callable[[str], str]) -> None:
    _request(client)
    code = otp(PHONE)
    for _ in range(4):
        assert _token(client, _wrong(code)).status_code == 401
    assert _token(client, code).status_code == 200  # 5th attempt still allowed


def test_sixth_attempt_fails_even_with_right_code(
    client: FlaskClient, otp: Callable[[str], str]
) -> None:
    _request(client)
    code = otp(PHONE)
    for _ in range(5):
        assert _token(client, _wrong(code)).status_code == 401
    assert _token(client, code).status_code == 401


def test_new_code_replaces_old(client: FlaskClient, otp: Callable[[str], str]) -> None:
    _request(client)
    old = otp(PHONE)
    _request(client)
    new = otp(PHONE)
    if old != new:
        assert _token(client, old).status_code == 401
    assert _token(client, new).status_code == 200


def test_invalid_phone_is_422_with_pointer(client: FlaskClient) -> None:
    response = client.post("/v1/auth/otp", json={"phone": "12345"})
    assert response.status_code == 422
    assert response.json["errors"][0]["pointer"] == "/phone"


def test_code_only_appears_in_the_sms_line(
    client: FlaskClient, otp: Callable[[str], str], logs: pytest.LogCaptureFixture
) -> None:
    _request(client)
    code = otp(PHONE)
    _token(client, code)
    lines = [r for r in logs.records if code in r.getMessage() or code in str(vars(r))]
    assert len(lines) == 1 and lines[0].name == "healthcode.sms"


@pytest.fixture
def strict_client(client: FlaskClient, settings_override: Callable[..., None]) -> FlaskClient:
    settings_override(otp_rate_limit_phone="2 per minute", otp_rate_limit_ip="4 per minute")
    return client


def test_rate_limited_per_phone(strict_client: FlaskClient) -> None:
    for _ in range(2):
        _request(strict_client, "+8613900000001")
    response = strict_client.post("/v1/auth/otp", json={"phone": "+8613900000001"})
    assert response.status_code == 429
    assert response.content_type == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    # another phone from the same address is still allowed (until the address limit)
    _request(strict_client, "+8613900000002")


def test_rate_limited_per_client_address(strict_client: FlaskClient) -> None:
    for i in range(4):
        _request(strict_client, f"+861390000010{i}")
    response = strict_client.post("/v1/auth/otp", json={"phone": "+8613900000109"})
    assert response.status_code == 429
    assert "Retry-After" in response.headers


def test_address_limit_uses_forwarded_for_only_behind_trusted_proxies(
    strict_client: FlaskClient, settings_override: Callable[..., None]
) -> None:
    settings_override(trusted_proxies=1)
    for i in range(4):
        r = strict_client.post(
            "/v1/auth/otp",
            json={"phone": f"+861390000020{i}"},
            headers={"X-Forwarded-For": "203.0.113.7"},
        )
        assert r.status_code == 202
    blocked = strict_client.post(
        "/v1/auth/otp",
        json={"phone": "+8613900000299"},
        headers={"X-Forwarded-For": "203.0.113.7"},
    )
    assert blocked.status_code == 429
    other = strict_client.post(
        "/v1/auth/otp",
        json={"phone": "+8613900000298"},
        headers={"X-Forwarded-For": "198.51.100.9"},
    )
    assert other.status_code == 202


def test_phone_limit_cannot_be_dodged_by_formatting(strict_client: FlaskClient) -> None:
    for phone in ("+8613900000301", "+86 139 0000 0301"):
        assert strict_client.post("/v1/auth/otp", json={"phone": phone}).status_code == 202
    dodged = strict_client.post("/v1/auth/otp", json={"phone": "+86-139-0000-0301"})
    assert dodged.status_code == 429
