"""Issue 8 §3: nobody can lock a resident out of their own login; guessing stays infeasible."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.config import MAX_PHONE_LOCKOUT, ConfigError, Settings
from app.db import utcnow
from app.services.otp_guard import BACKOFF_CAP, FREE_FAILURES, PAIR_MAX

PHONE = "+8613700000042"
OWNER = {"REMOTE_ADDR": "198.51.100.20"}
ATTACKERS = [{"REMOTE_ADDR": f"203.0.113.{i}"} for i in range(1, 40)]


def _ask(client: FlaskClient, environ: dict[str, str], phone: str = PHONE) -> None:
    response = client.post("/v1/auth/otp", json={"phone": phone}, environ_base=environ)
    assert response.status_code == 202, response.json


def _try(client: FlaskClient, code: str, environ: dict[str, str], phone: str = PHONE):  # type: ignore[no-untyped-def]
    return client.post("/v1/auth/token", json={"phone": phone, "otp": code}, environ_base=environ)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _move(app: Flask, seconds: float) -> None:
    container = app.extensions["healthcode"]
    base = container.clock()
    container.clock = lambda: base + timedelta(seconds=seconds)


def test_ten_wrong_codes_from_elsewhere_do_not_keep_the_owner_out(
    app: Flask,
    client: FlaskClient,
    otp: Callable[[str], str],
    settings_override: Callable[..., None],
) -> None:
    """The reported attack: ten wrong codes over three minutes, then the owner's right one."""
    defaults = Settings()
    # The production limit on guesses per address; sending codes is limited per phone in real
    # time (this test moves the app's clock), see test_asking_for_codes_cannot_keep_...
    settings_override(otp_rate_limit_ip=defaults.otp_rate_limit_ip)
    _ask(client, OWNER)
    for i in range(10):
        _move(app, i * 18)
        assert _try(client, "000000", ATTACKERS[0]).status_code in (401, 429)
    _move(app, 200)
    _ask(client, OWNER)  # the owner asks for a fresh code: the back-off starts over
    response = _try(client, otp(PHONE), OWNER)
    assert response.status_code == 200, response.json


def test_back_off_is_a_few_minutes_at_most(
    app: Flask, client: FlaskClient, otp: Callable[[str], str]
) -> None:
    _ask(client, OWNER)
    code = otp(PHONE)
    for attacker in ATTACKERS[: FREE_FAILURES + 8]:
        _try(client, _wrong(code), attacker)
    blocked = _try(client, code, OWNER)
    assert blocked.status_code == 429
    assert blocked.content_type == "application/problem+json"
    assert 0 < int(blocked.headers["Retry-After"]) <= BACKOFF_CAP
    _move(app, BACKOFF_CAP + 1)
    _ask(client, OWNER)  # the old code was burnt by the guesses; a fresh one works at once
    assert _try(client, otp(PHONE), OWNER).status_code == 200


def test_one_address_is_cut_off_for_that_phone_only(
    app: Flask, client: FlaskClient, otp: Callable[[str], str]
) -> None:
    attacker = ATTACKERS[0]
    for round_ in range(PAIR_MAX // FREE_FAILURES + 1):
        _move(app, round_ * (BACKOFF_CAP + 1))
        _ask(client, OWNER)
        code = otp(PHONE)
        for _ in range(FREE_FAILURES):
            _try(client, _wrong(code), attacker)
    _move(app, 10 * BACKOFF_CAP)
    _ask(client, OWNER)
    code = otp(PHONE)
    assert _try(client, code, attacker).status_code == 429  # even the right code: closed
    assert _try(client, code, OWNER).status_code == 200


def test_guesses_per_code_are_bounded(
    app: Flask, client: FlaskClient, otp: Callable[[str], str]
) -> None:
    """Many addresses do not buy more guesses: the code burns, then the phone backs off."""
    _ask(client, OWNER)
    code = otp(PHONE)
    answers = [_try(client, _wrong(code), a).status_code for a in ATTACKERS[:30]]
    assert answers[:FREE_FAILURES] == [401] * FREE_FAILURES
    assert answers.count(401) <= FREE_FAILURES + 1 and 429 in answers
    _move(app, BACKOFF_CAP + 1)
    assert _try(client, code, OWNER).status_code == 401  # burnt after five wrong tries


def test_owner_login_resets_the_count(
    app: Flask, client: FlaskClient, otp: Callable[[str], str]
) -> None:
    _ask(client, OWNER)
    code = otp(PHONE)
    for attacker in ATTACKERS[: FREE_FAILURES - 1]:
        assert _try(client, _wrong(code), attacker).status_code == 401
    assert _try(client, code, OWNER).status_code == 200
    _ask(client, OWNER)
    code = otp(PHONE)
    for attacker in ATTACKERS[: FREE_FAILURES - 1]:  # counted from zero again: no back-off
        assert _try(client, _wrong(code), attacker).status_code == 401
    assert _try(client, code, OWNER).status_code == 200


def test_full_width_digits_spaces_and_dashes_are_one_phone(
    app: Flask, client: FlaskClient, otp: Callable[[str], str]
) -> None:
    _ask(client, OWNER, "＋８６ １３７-０００0-００４２")
    first = _try(client, otp(PHONE), OWNER, "+86 137 0000 0042")
    assert first.status_code == 200, first.json
    _ask(client, OWNER, "+86-137-0000-0042")
    second = _try(client, otp(PHONE), OWNER, "＋８６１３７００００００４２")
    assert second.status_code == 200
    me = [
        client.get("/v1/me/profile", headers={"Authorization": f"Bearer {r.json['access_token']}"})
        for r in (first, second)
    ]
    assert all(m.status_code == 404 for m in me)  # same resident, no profile yet
    from sqlalchemy import func, select

    from app.models import Account

    with app.extensions["healthcode"].db.session() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 1


def test_other_script_digits_are_normalised() -> None:
    from app.services.auth import normalize_phone

    assert normalize_phone("+٨٦١٣٧٠٠٠٠٠٠٤٢") == PHONE  # Arabic-Indic digits
    assert normalize_phone("＋８６（１３７）００００-００４２") == PHONE


def test_clock_is_restored(app: Flask) -> None:
    assert abs((app.extensions["healthcode"].clock() - utcnow()).total_seconds()) < 5


def test_asking_for_codes_cannot_keep_the_owner_out_for_long(
    client: FlaskClient, settings_override: Callable[..., None]
) -> None:
    """Anyone may ask for codes for any phone: used up, the allowance returns within minutes."""
    settings_override(otp_rate_limit_phone=Settings().otp_rate_limit_phone)
    answers = [
        client.post("/v1/auth/otp", json={"phone": PHONE}, environ_base=attacker)
        for attacker in ATTACKERS[:6]
    ]
    refused = [r for r in answers if r.status_code == 429]
    assert answers[0].status_code == 202 and refused
    assert all(0 < int(r.headers["Retry-After"]) <= MAX_PHONE_LOCKOUT for r in refused)


def test_an_hour_long_per_phone_window_is_refused() -> None:
    with pytest.raises(ConfigError, match="OTP_RATE_LIMIT_PHONE windows must be at most 300"):
        Settings.load({"HEALTHCODE_OTP_RATE_LIMIT_PHONE": "3 per minute;10 per hour"})
    with pytest.raises(ConfigError, match="OTP_RATE_LIMIT_IP is not a rate limit"):
        Settings.load({"HEALTHCODE_OTP_RATE_LIMIT_IP": "lots"})
