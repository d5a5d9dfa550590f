"""Issue 8 §4: the OpenAPI document describes errors as they are sent (problem+json)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from app.timestamps import parse_rfc3339


def _resolve(spec: dict, node: dict) -> dict:  # type: ignore[type-arg]
    while "$ref" in node:
        *_, kind, name = node["$ref"].split("/")
        node = spec["components"][kind][name]
    return node


def test_every_error_response_is_a_problem(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json
    assert "Error" not in spec["components"].get("schemas", {})
    checked = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation["responses"]
            assert "default" in responses, (method, path)
            for status, response in responses.items():
                if status != "default" and int(status) < 400:
                    continue
                content = _resolve(spec, response)["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)
                schema = _resolve(spec, content["application/problem+json"]["schema"])
                assert {"type", "title", "status"} <= set(schema["required"])
                assert "errors" in schema["properties"]
                assert schema.get("additionalProperties", True) is not False  # extensions
                checked += 1
    assert checked > 40


def test_constraints_are_documented(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json
    schemas = spec["components"]["schemas"]
    when = schemas["RegionInput"]["properties"]["effective_from"]
    assert when["format"] == "date-time" and "2000" in when["description"]
    assert re.fullmatch(when["pattern"], "2026-11-20T08:00:00Z")
    assert not re.fullmatch(when["pattern"], "20260101T000000Z")
    parse_rfc3339("2026-11-20T08:00:00.123456789+08:00")
    records = schemas["FeedUpload"]["properties"]["records"]
    assert records["maxItems"] >= 10_000 and "10,000" in records["description"]
    id_number = schemas["ProfileInput"]["properties"]["id_number"]
    assert "check digit" in id_number["description"]
    name = schemas["ProfileInput"]["properties"]["name"]
    assert name["maxLength"] == 64
    path_int = next(
        p for p in spec["paths"]["/v1/rulesets/{version}"]["parameters"] if p["name"] == "version"
    )
    assert path_int["schema"]["maximum"] == 2**31 - 1
