"""Staff login, refresh rotation, logout, disabled accounts, CLI account creation."""

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.models import Account


def _login(client: FlaskClient, username: str, password: str = "password-123"):  # type: ignore[no-untyped-def]
    return client.post("/v1/auth/login", json={"username": username, "password": password})


def test_login_and_use_token(client: FlaskClient, make_staff: Callable[..., str]) -> None:
    name = make_staff("admin")
    body = _login(client, name).json
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/v1/accounts", headers=headers).status_code == 200


def test_wrong_password_and_unknown_user_look_the_same(
    client: FlaskClient, make_staff: Callable[..., str]
) -> None:
    name = make_staff("official")
    wrong = _login(client, name, "nope-nope-nope")
    unknown = _login(client, "nobody-here")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json["detail"] == unknown.json["detail"]


def test_password_is_stored_with_argon2id(app: Flask, make_staff: Callable[..., str]) -> None:
    name = make_staff("official")
    with app.extensions["healthcode"].db.session() as s:
        account = s.scalars(select(Account).where(Account.username == name)).one()
        assert account.password_hash.startswith("$argon2id$")


def test_refresh_rotates_and_detects_reuse(
    client: FlaskClient, make_staff: Callable[..., str]
) -> None:
    first = _login(client, make_staff("checkpoint")).json
    second = client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    new_refresh = second.json["refresh_token"]
    assert new_refresh != first["refresh_token"]
    reuse = client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    # reuse revoked the whole family, so the stolen-and-rotated token is dead too
    after = client.post("/v1/auth/refresh", json={"refresh_token": new_refresh})
    assert after.status_code == 401


def test_logout_revokes_refresh_token(client: FlaskClient, make_staff: Callable[..., str]) -> None:
    tokens = _login(client, make_staff("official")).json
    assert (
        client.post("/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}).status_code
        == 204
    )
    again = client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 401


def test_disabled_account_tokens_stop_working(
    client: FlaskClient, login: Callable[[str], dict[str, str]], make_staff: Callable[..., str]
) -> None:
    admin = login("admin")
    name = make_staff("official")
    tokens = _login(client, name).json
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/v1/api-keys", headers=headers).status_code == 200
    accounts = client.get("/v1/accounts?role=official", headers=admin).json
    account_id = next(a["id"] for a in accounts if a["username"] == name)
    r = client.patch(f"/v1/accounts/{account_id}", json={"disabled": True}, headers=admin)
    assert r.status_code == 200 and r.json["disabled"] is True
    assert client.get("/v1/api-keys", headers=headers).status_code == 401
    refresh = client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401
    assert _login(client, name).status_code == 401


def test_admin_creates_staff_account(
    client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    admin = login("admin")
    body = {"username": "inspector.li", "password": "correct-horse-battery", "role": "checkpoint"}
    created = client.post("/v1/accounts", json=body, headers=admin)
    assert created.status_code == 201
    assert "password" not in created.json and created.json["role"] == "checkpoint"
    assert client.post("/v1/accounts", json=body, headers=admin).status_code == 409
    assert _login(client, "inspector.li", "correct-horse-battery").status_code == 200


def test_weak_password_and_bad_role_rejected(
    client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    admin = login("admin")
    r = client.post(
        "/v1/accounts",
        json={"username": "x.y.z", "password": "short", "role": "official"},
        headers=admin,
    )
    assert r.status_code == 422 and r.json["errors"][0]["pointer"] == "/password"
    r = client.post(
        "/v1/accounts",
        json={"username": "abc", "password": "long-enough-1", "role": "resident"},
        headers=admin,
    )
    assert r.status_code == 422 and r.json["errors"][0]["pointer"] == "/role"


def test_cli_creates_account_from_environment(app: Flask, client: FlaskClient) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["accounts", "create", "--role", "official", "--username", "wang.official"],
        env={"HEALTHCODE_NEW_PASSWORD": "from-the-environment"},
    )
    assert result.exit_code == 0, result.output
    assert _login(client, "wang.official", "from-the-environment").status_code == 200
    disabled = runner.invoke(args=["accounts", "disable", "wang.official"])
    assert disabled.exit_code == 0
    assert _login(client, "wang.official", "from-the-environment").status_code == 401


def test_cli_prompts_for_password(app: Flask, client: FlaskClient) -> None:
    result = app.test_cli_runner().invoke(
        args=["accounts", "create", "--role", "admin", "--username", "root.admin"],
        input="prompted-password\nprompted-password\n",
    )
    assert result.exit_code == 0, result.output
    assert _login(client, "root.admin", "prompted-password").status_code == 200


def test_demo_seed_is_idempotent(app: Flask, client: FlaskClient) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    second = runner.invoke(args=["demo", "seed"])
    assert "already present" in second.output
    for user in ("admin", "official", "checkpoint", "venue"):
        assert _login(client, user, "demo").status_code == 200


def test_setup_runs_every_deploy_step_once_and_again(app: Flask, client: FlaskClient) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["setup", "--demo"])
    assert first.exit_code == 0, first.output
    assert "database upgraded to head" in first.output
    again = runner.invoke(args=["setup", "--demo"])
    assert again.exit_code == 0 and "already present" in again.output, again.output
    token = _login(client, "official", "demo").json["access_token"]
    active = client.get("/v1/rulesets/active", headers={"Authorization": f"Bearer {token}"})
    assert active.status_code == 200, active.json
