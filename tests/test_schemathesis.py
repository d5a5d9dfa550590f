"""Generated requests for every operation and every role: no 5xx, answers match the OpenAPI.

Issue 8 §4. Examples per operation are bounded (SCHEMATHESIS_EXAMPLES, default 8 per role,
valid and invalid data), so one run takes a few minutes per backend; `make test` runs it on
both. Checks: no server error, response schema and content type as documented, documented
status codes.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))
ROLES = ("admin", "official", "checkpoint", "venue_operator", "counter")
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    status_code_conformance,
]
PROFILE = {"name": "Zhang San", "id_number": "11010519491231002X", "birth_date": "1949-12-31"}


@pytest.fixture
def credentials(
    client: FlaskClient,
    login: Callable[[str], dict[str, str]],
    resident: Callable[..., dict[str, str]],
) -> dict[str, dict[str, str]]:
    """A bearer header per role; the resident has a proven identity (development provider)."""
    creds = {role: login(role) for role in ROLES}
    creds["resident"] = resident()
    proven = client.put("/v1/me/profile", json=PROFILE, headers=creds["resident"])
    assert proven.status_code == 200 and proven.json["identity"]["verified"]
    return creds


def test_no_5xx_and_every_answer_matches_the_openapi(
    app: Flask,
    credentials: dict[str, dict[str, str]],
    settings_override: Callable[..., None],
) -> None:
    # Generous limits: generated traffic must reach the code, not the rate limiter.
    settings_override(
        otp_rate_limit_phone="100000 per minute",
        otp_rate_limit_ip="100000 per minute",
        login_rate_limit="100000 per minute",
    )
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        headers_for = st.sampled_from(sorted(credentials.items()))

        cases = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )

        @settings(
            max_examples=EXAMPLES * len(credentials),
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=cases, who=headers_for)
        def run(case: schemathesis.Case, who: tuple[str, dict[str, str]]) -> None:
            role, headers = who
            case.headers = {**(case.headers or {}), **headers}
            response = case.call()
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as exc:  # collect every operation's failure, then report
                failures.append(f"{operation.method.upper()} {operation.path} as {role}: {exc}")
                raise

        try:
            run()
        except Exception:
            continue
    assert operations >= 40
    assert not failures, "\n\n".join(failures[:10])
