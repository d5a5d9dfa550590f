"""API keys: shown once, stored hashed, scoped, listed without secrets, revocable."""

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.models import ApiKey


def _create(client: FlaskClient, headers: dict[str, str], scopes: list[str]) -> dict:  # type: ignore[type-arg]
    response = client.post(
        "/v1/api-keys", json={"name": "lab 1", "scopes": scopes}, headers=headers
    )
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


def test_secret_shown_once_and_stored_hashed(
    app: Flask, client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    official = login("official")
    created = _create(client, official, ["feed:tests"])
    assert created["secret"].startswith("hck_")
    listed = client.get("/v1/api-keys", headers=official).json
    assert [k["id"] for k in listed] == [created["id"]]
    assert "secret" not in listed[0] and "secret_hash" not in listed[0]
    with app.extensions["healthcode"].db.session() as s:
        row = s.scalars(select(ApiKey)).one()
        assert created["secret"] not in (row.secret_hash, row.prefix)


def test_key_authenticates_only_within_its_scopes(
    client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    key = _create(client, login("official"), ["feed:tests"])
    headers = {"Authorization": f"Bearer {key['secret']}"}
    # an API key is not an account: account endpoints are forbidden to it
    assert client.get("/v1/api-keys", headers=headers).status_code == 403
    assert client.get("/v1/me/profile", headers=headers).status_code == 403


def test_tampered_key_is_rejected(
    client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    key = _create(client, login("official"), ["checkpoint"])
    bad = key["secret"][:-2] + ("AA" if not key["secret"].endswith("AA") else "BB")
    assert client.get("/v1/api-keys", headers={"Authorization": f"Bearer {bad}"}).status_code == 401


def test_revoke_and_ownership(client: FlaskClient, login: Callable[[str], dict[str, str]]) -> None:
    alice, bob, admin = login("official"), login("official"), login("admin")
    key = _create(client, alice, ["checkpoint"])
    assert client.get("/v1/api-keys", headers=bob).json == []
    assert client.delete(f"/v1/api-keys/{key['id']}", headers=bob).status_code == 404
    assert len(client.get("/v1/api-keys", headers=admin).json) == 1
    key_headers = {"Authorization": f"Bearer {key['secret']}"}
    assert client.get("/v1/api-keys", headers=key_headers).status_code == 403  # live, wrong role
    assert client.delete(f"/v1/api-keys/{key['id']}", headers=alice).status_code == 204
    assert client.get("/v1/api-keys", headers=key_headers).status_code == 401  # revoked
    listed = client.get("/v1/api-keys", headers=alice).json
    assert listed[0]["revoked_at"] is not None


def test_unknown_scope_rejected(
    client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    r = client.post("/v1/api-keys", json={"name": "x", "scopes": ["admin"]}, headers=login("admin"))
    assert r.status_code == 422
    assert r.json["errors"][0]["pointer"].startswith("/scopes")


def test_audited_actions_name_the_request(
    app: Flask, client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    """The principal resolved from a token carries the request id into the audit trail."""
    from app.models import AuditEvent

    official = login("official")
    response = client.post(
        "/v1/api-keys",
        json={"name": "lab 2", "scopes": ["feed:tests"]},
        headers={**official, "X-Request-ID": "audit-req-0001"},
    )
    assert response.status_code == 201 and response.headers["X-Request-ID"] == "audit-req-0001"
    with app.extensions["healthcode"].db.session() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "api_key.create")).one()
    assert event.request_id == "audit-req-0001" and event.actor_type == "account"
