"""Every endpoint x every role: 401 without credentials, 403 for a wrong role, else through."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.feed_kinds import SCOPES
from app.security.access import Access
from app.web.common import is_web_endpoint

ROLES = ("resident", "checkpoint", "venue_operator", "official", "admin")
SAMPLE_PARAMS = {"uuid": lambda: str(uuid.uuid4()), "int": lambda: "1", "default": lambda: "X1"}


def _endpoints(app: Flask) -> list[tuple[str, str, Access]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static",) or rule.endpoint.startswith("api-docs"):
            continue
        if is_web_endpoint(rule.endpoint):  # public page shells: tests/web/test_pages.py
            continue
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            func = getattr(view_class, method.lower(), None) if view_class else view
            access = getattr(func, "_access", None)
            assert access is not None, f"{method} {rule.rule} declares no access"
            path = re.sub(
                r"<(?:(\w+):)?(\w+)>",
                lambda m: SAMPLE_PARAMS.get(m.group(1) or "default", SAMPLE_PARAMS["default"])(),
                rule.rule,
            )
            found.append((method, path, access))
    return found


@pytest.fixture
def credentials(
    login: Callable[[str], dict[str, str]],
    resident: Callable[..., dict[str, str]],
    client: FlaskClient,
) -> dict[str, dict[str, str]]:
    creds = {role: login(role) for role in ROLES if role != "resident"}
    creds["resident"] = resident()
    for scope in SCOPES:
        response = client.post(
            "/v1/api-keys", json={"name": scope, "scopes": [scope]}, headers=creds["admin"]
        )
        assert response.status_code == 201
        creds[f"key:{scope}"] = {"Authorization": f"Bearer {response.json['secret']}"}
    return creds


def test_every_endpoint_declares_access(app: Flask) -> None:
    endpoints = _endpoints(app)
    assert len(endpoints) >= 15


def test_openapi_documents_the_declared_access(app: Flask, client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json
    for method, path, access in _endpoints(app):
        template = next(
            p for p in spec["paths"] if re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", p), path)
        )
        operation = spec["paths"][template][method.lower()]
        if access.public:
            assert operation["security"] == []
        else:
            assert operation["x-access"] == {
                "roles": list(access.roles),
                "scopes": list(access.scopes),
            }


def test_role_matrix(
    app: Flask, client: FlaskClient, credentials: dict[str, dict[str, str]]
) -> None:
    checked = 0
    for method, path, access in _endpoints(app):
        if access.public:
            continue
        anonymous = client.open(path, method=method, json={})
        assert anonymous.status_code == 401, (method, path)
        assert anonymous.content_type == "application/problem+json"
        for who, headers in credentials.items():
            response = client.open(path, method=method, json={}, headers=headers)
            if who.startswith("key:"):
                allowed = who.removeprefix("key:") in access.scopes
            else:
                allowed = who in access.roles
            if allowed:
                assert response.status_code not in (401, 403), (who, method, path, response.json)
            else:
                assert response.status_code == 403, (who, method, path, response.status_code)
                assert response.content_type == "application/problem+json"
            checked += 1
    assert checked > 50
