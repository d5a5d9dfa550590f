"""The published OpenAPI document is valid OpenAPI 3 and lists the API under /v1."""

from flask.testing import FlaskClient
from openapi_spec_validator import validate


def test_openapi_document_is_valid(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json
    validate(spec)
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    paths = set(spec["paths"])
    assert {"/v1/auth/otp", "/v1/me/code", "/v1/trust", "/v1/feeds/tests"} <= paths
    assert all(p.startswith("/v1/") or p in ("/healthz", "/readyz", "/metrics") for p in paths)


def test_swagger_ui_is_served(client: FlaskClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200 and b"swagger" in response.data.lower()
