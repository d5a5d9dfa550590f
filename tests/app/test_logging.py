"""Logs are JSON lines with a request id, and never hold secrets or ID numbers."""

import json
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from app.logs import JsonFormatter


def test_no_secrets_in_logs(
    client: FlaskClient,
    logs: pytest.LogCaptureFixture,
    resident: Callable[..., dict[str, str]],
    login: Callable[[str], dict[str, str]],
) -> None:
    headers = resident()
    id_number = "11010519491231002X"
    client.put(
        "/v1/me/profile",
        json={"name": "Zhang San", "id_number": id_number, "birth_date": "1949-12-31"},
        headers=headers,
    )
    official = login("official")
    client.post("/v1/persons/lookup", json={"id_number": id_number}, headers=official)
    key = client.post(
        "/v1/api-keys", json={"name": "k", "scopes": ["checkpoint"]}, headers=official
    ).json["secret"]
    formatter = JsonFormatter()
    lines = [formatter.format(r) for r in logs.records]
    text = "\n".join(lines)
    assert id_number not in text
    assert key not in text
    assert headers["Authorization"].split()[1] not in text
    assert "password-123" not in text
    access = [json.loads(line) for line in lines if '"healthcode.access"' in line]
    assert access and all(entry["request_id"] for entry in access)
