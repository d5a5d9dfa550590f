"""Issue 8 §5: privacy and headers."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.config import ConfigError, Settings
from app.db import utcnow
from app.errors import Unavailable
from app.sms import make_sms_backend
from tests.app.security.standin import stand_in

PHONE = "+8613800001234"
PROD = {
    "ENV": "production",
    "SECRET_KEY": "s" * 40,
    "ID_HASH_KEY": "i" * 40,
    "KEY_PASSPHRASE": "p" * 40,
    "SMS_BACKEND": "http",
    "SMS_HTTP_URL": "https://sms.example/send",
    "SMS_HTTP_KEY": "k" * 40,
    "IDENTITY_PROVIDER": "telco",
    "IDENTITY_TELCO_URL": "https://telco.example/verify",
    "IDENTITY_TELCO_KEY": "t" * 40,
}


def test_rate_limit_keys_in_redis_hold_no_phone_number(app: Flask, client: FlaskClient) -> None:
    for phone in (PHONE, "+86 138-0000-1234", "＋８６１３８００００１２３４"):
        assert client.post("/v1/auth/otp", json={"phone": phone}).status_code == 202
    redis = app.extensions["healthcode"].redis
    keys = [k.decode() for k in redis.keys("*")]
    assert any("otp-phone" in k for k in keys), keys
    assert not [k for k in keys if "13800001234" in k or "1234" in k.split("/")[-1]], keys


def test_full_width_and_formatted_numbers_share_one_rate_limit(
    app: Flask, client: FlaskClient, settings_override: Callable[..., None]
) -> None:
    settings_override(otp_rate_limit_phone="2 per minute")
    assert client.post("/v1/auth/otp", json={"phone": PHONE}).status_code == 202
    assert client.post("/v1/auth/otp", json={"phone": "+86 138-0000-1234"}).status_code == 202
    third = client.post("/v1/auth/otp", json={"phone": "＋８６１３８００００１２３４"})
    assert third.status_code == 429


def _http_settings(url: str, **extra: object) -> Settings:
    return Settings.load(
        environ={},
        overrides={
            "SMS_BACKEND": "http",
            "SMS_HTTP_URL": url,
            "SMS_HTTP_KEY": "gateway-key-1",
            "SMS_TEMPLATE": "Code {code} ({minutes} min)",
            "SMS_HTTP_TIMEOUT": 1,
            "SMS_HTTP_RETRIES": 2,
            **extra,
        },
    )


def test_http_sms_posts_the_template_with_the_key(logs: pytest.LogCaptureFixture) -> None:
    with stand_in("/send") as gateway:
        backend = make_sms_backend(_http_settings(gateway.url))
        backend.send_otp(PHONE, "123456", 5)
    (sent,) = gateway.requests
    assert sent["path"] == "/send"
    assert sent["headers"]["Authorization"] == "Bearer gateway-key-1"
    assert sent["json"] == {"to": PHONE, "text": "Code 123456 (5 min)"}
    text = " ".join(r.getMessage() + str(vars(r)) for r in logs.records)
    assert "123456" not in text and PHONE not in text


def test_http_sms_retries_server_errors(logs: pytest.LogCaptureFixture) -> None:
    with stand_in() as gateway:
        gateway.replies = [(503, {}), (500, {}), (200, {"id": "m1"})]
        make_sms_backend(_http_settings(gateway.url)).send_otp(PHONE, "123456", 5)
    assert len(gateway.requests) == 3


def test_http_sms_gives_up_after_timeouts_with_503(logs: pytest.LogCaptureFixture) -> None:
    with stand_in() as gateway:
        gateway.replies = [None, None, None]
        gateway.stall = 1.5
        started = time.perf_counter()
        with pytest.raises(Unavailable):
            make_sms_backend(_http_settings(gateway.url)).send_otp(PHONE, "654321", 5)
        elapsed = time.perf_counter() - started
    assert len(gateway.requests) == 3
    assert elapsed < 3 * 1.0 + 1.0  # three 1 s timeouts and short pauses, never the stall
    text = " ".join(r.getMessage() + str(vars(r)) for r in logs.records)
    assert "654321" not in text and PHONE not in text


def test_http_sms_does_not_retry_a_refusal() -> None:
    with stand_in() as gateway:
        gateway.replies = [(401, {"error": "bad key"})]
        with pytest.raises(Unavailable):
            make_sms_backend(_http_settings(gateway.url)).send_otp(PHONE, "123456", 5)
    assert len(gateway.requests) == 1


def test_otp_through_the_http_gateway_end_to_end(
    app: Flask, client: FlaskClient, settings_override: Callable[..., None]
) -> None:
    container = app.extensions["healthcode"]
    original = container.sms
    with stand_in() as gateway:
        container.sms = make_sms_backend(_http_settings(gateway.url))
        try:
            assert client.post("/v1/auth/otp", json={"phone": PHONE}).status_code == 202
            gateway.default = lambda _b: (503, {})
            failed = client.post("/v1/auth/otp", json={"phone": PHONE})
        finally:
            container.sms = original
    code = gateway.requests[0]["json"]["text"].split()[1]
    assert failed.status_code == 503 and failed.content_type == "application/problem+json"
    response = client.post("/v1/auth/token", json={"phone": PHONE, "otp": code})
    assert response.status_code == 200, response.json


def test_production_refuses_the_console_sms_backend() -> None:
    Settings.load(environ={}, overrides=PROD)  # the valid production baseline
    with pytest.raises(ConfigError, match="SMS_BACKEND=console"):
        Settings.load(environ={}, overrides=PROD | {"SMS_BACKEND": "console"})
    with pytest.raises(ValueError, match="not allowed"):
        make_sms_backend(replace(Settings(), env="production"))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("SECRET_KEY", "ID_HASH_KEY"),
        ("ID_HASH_KEY", "KEY_PASSPHRASE"),
        ("SECRET_KEY", "SMS_HTTP_KEY"),
        ("KEY_PASSPHRASE", "IDENTITY_TELCO_KEY"),
    ],
)
def test_production_refuses_one_value_for_two_secrets(first: str, second: str) -> None:
    shared = "x" * 48
    with pytest.raises(ConfigError, match="must differ"):
        Settings.load(environ={}, overrides=PROD | {first: shared, second: shared})


def test_personal_answers_are_never_stored_by_caches(
    client: FlaskClient, resident: Callable[..., dict[str, str]]
) -> None:
    assert client.post("/v1/auth/otp", json={"phone": PHONE}).headers["Cache-Control"] == "no-store"
    headers = resident()
    body = {"name": "Zhang San", "id_number": "11010519491231002X", "birth_date": "1949-12-31"}
    for response in (
        client.put("/v1/me/profile", json=body, headers=headers),
        client.get("/v1/me/status", headers=headers),
        client.get("/v1/me/code", headers=headers),
        client.get("/v1/me/code.png", headers=headers),
        client.get("/v1/me/history", headers=headers),
    ):
        assert response.headers["Cache-Control"] == "no-store", response.request.path
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_tokens_are_no_store_and_errors_nosniff(
    client: FlaskClient, make_staff: Callable[..., str]
) -> None:
    username = make_staff("official")
    login = client.post("/v1/auth/login", json={"username": username, "password": "password-123"})
    assert login.headers["Cache-Control"] == "no-store"
    missing = client.get("/v1/no-such-thing")
    assert missing.headers["X-Content-Type-Options"] == "nosniff"
    trust = client.get("/v1/trust")
    assert trust.headers["Cache-Control"] != "no-store"  # public, revalidated with its ETag


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("req-0123456789", True),
        ("<script>alert(1)</script>", False),
        ("a" * 200, False),
        ("short", False),
        ("id with spaces 123", False),
    ],
)
def test_client_request_id_is_used_only_when_short_and_safe(
    client: FlaskClient, sent: str, kept: bool
) -> None:
    echoed = client.get("/healthz", headers={"X-Request-ID": sent}).headers["X-Request-ID"]
    assert (echoed == sent) is kept


def test_reenabling_an_account_does_not_revive_old_tokens(
    app: Flask, client: FlaskClient, make_staff: Callable[..., str], login: Callable[..., dict]
) -> None:
    admin = login("admin")
    username = make_staff("official")
    old = client.post("/v1/auth/login", json={"username": username, "password": "password-123"})
    old_access = {"Authorization": f"Bearer {old.json['access_token']}"}
    assert client.get("/v1/regions", headers=old_access).status_code == 200
    account_id = next(
        a["id"] for a in client.get("/v1/accounts", headers=admin).json if a["username"] == username
    )
    for disabled in (True, False):
        patch = client.patch(
            f"/v1/accounts/{account_id}", json={"disabled": disabled}, headers=admin
        )
        assert patch.status_code == 200, patch.json
    assert client.get("/v1/regions", headers=old_access).status_code == 401
    refresh = client.post("/v1/auth/refresh", json={"refresh_token": old.json["refresh_token"]})
    assert refresh.status_code == 401
    container = app.extensions["healthcode"]
    container.clock = lambda: utcnow() + timedelta(seconds=2)
    new = client.post("/v1/auth/login", json={"username": username, "password": "password-123"})
    assert new.status_code == 200
    fresh = {"Authorization": f"Bearer {new.json['access_token']}"}
    assert client.get("/v1/regions", headers=fresh).status_code == 200
