"""Every error is application/problem+json, with field details and no stack trace."""

from flask import Flask
from flask.testing import FlaskClient

PROBLEM = "application/problem+json"


def _assert_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.data
    assert response.content_type == PROBLEM
    body = response.json
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def test_malformed_json(client: FlaskClient) -> None:
    response = client.post("/v1/auth/login", data='{"username": ', content_type="application/json")
    body = _assert_problem(response, 400)
    assert "JSON" in body["detail"]


def test_unknown_field_is_rejected_with_pointer(client: FlaskClient) -> None:
    response = client.post(
        "/v1/auth/login", json={"username": "a", "password": "b", "role": "admin"}
    )
    body = _assert_problem(response, 422)
    assert {"pointer": "/role", "detail": "Unknown field."} in body["errors"]


def test_wrong_types_and_missing_fields_all_reported(client: FlaskClient) -> None:
    response = client.post("/v1/auth/login", json={"username": 42})
    body = _assert_problem(response, 422)
    pointers = {e["pointer"] for e in body["errors"]}
    assert pointers == {"/username", "/password"}


def test_json_array_instead_of_object(client: FlaskClient) -> None:
    response = client.post("/v1/auth/otp", json=[1, 2])
    _assert_problem(response, 422)


def test_oversized_body(client: FlaskClient) -> None:
    big = '{"phone": "' + "1" * (2 * 1024 * 1024) + '"}'
    response = client.post("/v1/auth/otp", data=big, content_type="application/json")
    _assert_problem(response, 413)


def test_unknown_route(client: FlaskClient) -> None:
    body = _assert_problem(client.get("/v1/no-such-thing"), 404)
    assert body["instance"] == "/v1/no-such-thing"


def test_wrong_method(client: FlaskClient) -> None:
    _assert_problem(client.delete("/v1/auth/login"), 405)


def test_unexpected_error_is_a_problem_without_details(app_factory) -> None:  # type: ignore[no-untyped-def]
    app: Flask = app_factory()

    @app.get("/boom-test-only")
    def boom() -> str:
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom-test-only")
    body = _assert_problem(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)
    assert body["request_id"]


def test_no_credentials_is_401_problem(client: FlaskClient) -> None:
    response = client.get("/v1/accounts")
    _assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_garbage_token_is_401(client: FlaskClient) -> None:
    _assert_problem(client.get("/v1/accounts", headers={"Authorization": "Bearer x.y.z"}), 401)


def test_request_id_is_echoed(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc12345-trace"})
    assert response.headers["X-Request-ID"] == "abc12345-trace"


def test_deeply_nested_json_is_a_400(client: FlaskClient) -> None:
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/v1/auth/otp", data=body, content_type="application/json")
    assert response.status_code in (400, 422)
    assert response.content_type == PROBLEM
