"""Issue 8 §1: a code's colour belongs to a proven person."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from app.config import ConfigError, Settings
from app.db import utcnow
from app.models import AuditEvent, Person
from tests.app.security.standin import StandIn, stand_in
from tests.conftest import otp_from_logs

OWNER_ID = "11010519491231002X"  # born 1949-12-31
PROFILE = {"name": "Zhang San", "id_number": OWNER_ID, "birth_date": "1949-12-31"}


@pytest.fixture
def phone_login(
    client: FlaskClient, logs: pytest.LogCaptureFixture
) -> Callable[[], tuple[str, dict[str, str]]]:
    """A resident logged in by OTP: (phone, headers)."""

    def factory() -> tuple[str, dict[str, str]]:
        phone = f"+86139{uuid.uuid4().int % 10**8:08d}"
        assert client.post("/v1/auth/otp", json={"phone": phone}).status_code == 202
        code = otp_from_logs(logs, phone)
        token = client.post("/v1/auth/token", json={"phone": phone, "otp": code}).json
        return phone, {"Authorization": f"Bearer {token['access_token']}"}

    return factory


@pytest.fixture
def telco(settings_override: Callable[..., None]) -> Iterator[StandIn]:
    """The carrier's real-name check, played by a local server speaking TELCO_PROTOCOL."""
    registry = {}

    def answer(body: dict[str, str]) -> tuple[int, dict[str, str]]:
        known = registry.get(body.get("phone"))
        if known is None:
            return 200, {"result": "unknown"}
        same = known == (body.get("name"), body.get("id_number"))
        return 200, {"result": "match" if same else "mismatch"}

    with stand_in("/realname/verify") as server:
        server.default = answer
        server.registry = registry  # type: ignore[attr-defined]
        settings_override(
            identity_provider="telco",
            identity_telco_url=server.url,
            identity_telco_key="telco-key-1",
            identity_telco_timeout=1,
            identity_telco_retries=1,
        )
        yield server


def _positive_test_for_owner(client: FlaskClient, official: dict[str, str]) -> None:
    record = {
        "record_id": "S-0001",
        "id_number": OWNER_ID,
        "kind": "pcr",
        "result": "positive",
        "sampled_at": (utcnow() - timedelta(hours=3)).replace(microsecond=0).isoformat(),
    }
    body = client.post("/v1/feeds/tests", json={"records": [record]}, headers=official).json
    assert body["accepted"] == 1


def test_a_stranger_cannot_claim_someone_elses_id_number(
    client: FlaskClient,
    telco: StandIn,
    phone_login: Callable[[], tuple[str, dict[str, str]]],
    login: Callable[[str], dict[str, str]],
    run_jobs: Callable[[], int],
) -> None:
    """The reported attack: a stranger registered the ID of a person with a positive test."""
    _positive_test_for_owner(client, login("official"))
    run_jobs()
    owner_phone, owner = phone_login()
    stranger_phone, stranger = phone_login()
    telco.registry[owner_phone] = ("Zhang San", OWNER_ID)  # type: ignore[attr-defined]
    telco.registry[stranger_phone] = ("Li Si", "110101199003074477")  # type: ignore[attr-defined]
    claim = client.put("/v1/me/profile", json=PROFILE | {"phone": stranger_phone}, headers=stranger)
    assert claim.status_code == 422 and claim.json["errors"][0]["pointer"] == "/id_number"
    for path in ("/v1/me/status", "/v1/me/code", "/v1/me/history"):
        denied = client.get(path, headers=stranger)
        assert denied.status_code == 409, path
        assert denied.json["type"].endswith("/identity-not-verified")
        assert "PUT /v1/me/profile" in denied.json["detail"]
    proven = client.put("/v1/me/profile", json=PROFILE | {"phone": owner_phone}, headers=owner)
    assert proven.status_code == 200, proven.json
    assert proven.json["identity"]["method"] == "telco" and proven.json["identity"]["verified"]
    assert client.get("/v1/me/status", headers=owner).json["color"] == "red"
    asked = telco.requests[-1]
    assert asked["headers"]["Authorization"] == "Bearer telco-key-1"
    assert asked["json"] == {"phone": owner_phone, "name": "Zhang San", "id_number": OWNER_ID}


def test_telco_needs_the_login_phone(
    client: FlaskClient, telco: StandIn, phone_login: Callable[[], tuple[str, dict[str, str]]]
) -> None:
    _, headers = phone_login()
    other_phone, _ = phone_login()
    telco.registry[other_phone] = ("Zhang San", OWNER_ID)  # type: ignore[attr-defined]
    for body in (PROFILE, PROFILE | {"phone": other_phone}):
        response = client.put("/v1/me/profile", json=body, headers=headers)
        assert response.status_code == 422 and response.json["errors"][0]["pointer"] == "/phone"
    assert telco.requests == []  # never asked about a number this account does not hold
    assert client.get("/v1/me/code", headers=headers).status_code == 409


def test_telco_retries_a_timeout_and_reports_an_outage(
    client: FlaskClient, telco: StandIn, phone_login: Callable[[], tuple[str, dict[str, str]]]
) -> None:
    phone, headers = phone_login()
    telco.registry[phone] = ("Zhang San", OWNER_ID)  # type: ignore[attr-defined]
    telco.stall = 1.5
    telco.replies = [None, None]
    down = client.put("/v1/me/profile", json=PROFILE | {"phone": phone}, headers=headers)
    assert down.status_code == 503 and down.content_type == "application/problem+json"
    assert len(telco.requests) == 2  # one try and one retry, each cut at the 1 s timeout
    telco.replies = [None]
    up = client.put("/v1/me/profile", json=PROFILE | {"phone": phone}, headers=headers)
    assert up.status_code == 200, up.json


def test_a_red_resident_cannot_make_a_second_green_identity(
    client: FlaskClient, telco: StandIn, phone_login: Callable[[], tuple[str, dict[str, str]]]
) -> None:
    """A made-up, well-formed ID with the same name and birth date fails the carrier check."""
    phone, headers = phone_login()
    telco.registry[phone] = ("Zhang San", OWNER_ID)  # type: ignore[attr-defined]
    assert (
        client.put("/v1/me/profile", json=PROFILE | {"phone": phone}, headers=headers).status_code
        == 200
    )
    second_phone, second = phone_login()
    made_up = next(  # well-formed, valid check digit, same birth date and name
        f"11010519491231{n:03d}{c}"
        for n in range(100, 999)
        for c in "0123456789X"
        if _valid(f"11010519491231{n:03d}{c}") and f"{n:03d}{c}" != "002X"
    )
    body = PROFILE | {"id_number": made_up, "phone": second_phone}
    response = client.put("/v1/me/profile", json=body, headers=second)
    assert response.status_code == 422
    assert client.get("/v1/me/code", headers=second).status_code == 409


def _valid(id_number: str) -> bool:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(id_number[:17], weights, strict=True))
    return "10X98765432"[total % 11] == id_number[17]


def test_counter_provider_links_in_one_visit(
    client: FlaskClient,
    settings_override: Callable[..., None],
    phone_login: Callable[[], tuple[str, dict[str, str]]],
    login: Callable[[str], dict[str, str]],
) -> None:
    settings_override(identity_provider="counter")
    phone, headers = phone_login()
    self_service = client.put("/v1/me/profile", json=PROFILE, headers=headers)
    assert self_service.status_code == 409
    assert "Visit a counter" in self_service.json["detail"]
    code = client.get("/v1/me/code", headers=headers)
    assert code.status_code == 409 and "Visit a counter" in code.json["detail"]
    desk = login("counter")
    linked = client.post(
        "/v1/identity/links", json=PROFILE | {"phone": phone.replace("+86", "+86 ")}, headers=desk
    )
    assert linked.status_code == 201, linked.json
    assert linked.json["moved"] is False
    assert client.get("/v1/me/code", headers=headers).status_code == 200
    profile = client.get("/v1/me/profile", headers=headers).json
    assert profile["identity"]["method"] == "counter" and profile["identity"]["note"] is None


def test_counter_needs_an_account_that_logged_in(
    client: FlaskClient, settings_override: Callable[..., None], login: Callable[[str], dict]
) -> None:
    settings_override(identity_provider="counter")
    response = client.post(
        "/v1/identity/links", json=PROFILE | {"phone": "+8613912345678"}, headers=login("counter")
    )
    assert response.status_code == 404


def test_dispute_an_official_moves_the_link_and_both_are_told(
    app: Flask,
    client: FlaskClient,
    phone_login: Callable[[], tuple[str, dict[str, str]]],
    login: Callable[[str], dict[str, str]],
    logs: pytest.LogCaptureFixture,
) -> None:
    squatter_phone, squatter = phone_login()
    assert client.put("/v1/me/profile", json=PROFILE, headers=squatter).status_code == 200
    owner_phone, owner = phone_login()
    refused = client.put("/v1/me/profile", json=PROFILE, headers=owner)
    assert refused.status_code == 409
    assert "visit a counter" in refused.json["detail"] and "move" in refused.json["detail"]
    official = login("official")
    body = PROFILE | {"phone": owner_phone}
    not_yet = client.post("/v1/identity/links", json=body, headers=official)
    assert not_yet.status_code == 409 and "move=true" in not_yet.json["detail"]
    moved = client.post("/v1/identity/links", json=body | {"move": True}, headers=official)
    assert moved.status_code == 201 and moved.json["moved"] is True
    assert client.get("/v1/me/code", headers=owner).status_code == 200
    assert client.get("/v1/me/code", headers=squatter).status_code == 409
    sms = [r.getMessage() for r in logs.records if r.name == "healthcode.sms"]
    assert any(owner_phone in m and "now linked" in m for m in sms)
    assert any(squatter_phone in m and "moved to another account" in m for m in sms)
    with app.extensions["healthcode"].db.session() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "identity.move")).one()
        assert event.details["moved_from"] and event.details["account_id"]


def test_residents_cannot_link_themselves_at_the_counter_endpoint(
    client: FlaskClient, phone_login: Callable[[], tuple[str, dict[str, str]]]
) -> None:
    phone, headers = phone_login()
    response = client.post("/v1/identity/links", json=PROFILE | {"phone": phone}, headers=headers)
    assert response.status_code == 403


def test_an_unproven_link_gets_no_code(
    app: Flask, client: FlaskClient, phone_login: Callable[[], tuple[str, dict[str, str]]]
) -> None:
    """Links made before proofing existed stay without codes until proven."""
    _, headers = phone_login()
    assert client.put("/v1/me/profile", json=PROFILE, headers=headers).status_code == 200
    with app.extensions["healthcode"].db.session() as s:
        s.execute(update(Person).values(identity_method=None, identity_proven_at=None))
    assert client.get("/v1/me/code", headers=headers).status_code == 409
    assert client.get("/v1/me/status", headers=headers).status_code == 409


def test_development_provider_is_clearly_labelled(
    client: FlaskClient, phone_login: Callable[[], tuple[str, dict[str, str]]]
) -> None:
    _, headers = phone_login()
    profile = client.put("/v1/me/profile", json=PROFILE, headers=headers).json
    assert profile["identity"]["method"] == "development"
    assert "NOT checked" in profile["identity"]["note"]


@pytest.mark.parametrize("provider", ["none", "development"])
def test_production_refuses_providers_that_check_nothing(provider: str) -> None:
    from tests.app.security.test_privacy import PROD

    with pytest.raises(ConfigError, match="IDENTITY_PROVIDER"):
        Settings.load(environ={}, overrides=PROD | {"IDENTITY_PROVIDER": provider})
    with pytest.raises(ConfigError, match="TELCO_URL"):
        Settings.load(environ={}, overrides=PROD | {"IDENTITY_TELCO_URL": ""})
