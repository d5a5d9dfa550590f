"""GET /metrics: Prometheus series for admins and `metrics` API keys only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient

from app.db import utcnow

SERIES = (
    "healthcode_http_request_duration_seconds_bucket",
    "healthcode_queue_jobs{",
    "healthcode_outbox_oldest_unsent_age_seconds",
    "healthcode_recompute_lag_seconds",
    'healthcode_feed_batches{status="queued"}',
    'healthcode_feed_records_accepted_total{kind="tests"}',
    "healthcode_feed_records_applied_total",
    "healthcode_codes_verified_total",
    'healthcode_dependency_up{dependency="database"} 1.0',
    'healthcode_dependency_up{dependency="redis"} 1.0',
)


def test_metrics_show_the_listed_series(
    client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    official, admin, checkpoint = login("official"), login("admin"), login("checkpoint")
    sampled = (utcnow() - timedelta(days=1)).isoformat()
    record = {
        "record_id": "m-1",
        "id_number": "PASS000001",
        "kind": "pcr",
        "result": "negative",
        "sampled_at": sampled,
    }
    assert (
        client.post("/v1/feeds/tests", json={"records": [record]}, headers=official).status_code
        == 202
    )
    client.post("/v1/verify", json={"code": "HCX1:AAAA"}, headers=checkpoint)
    response = client.get("/metrics", headers=admin)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    text = response.get_data(as_text=True)
    for series in SERIES:
        assert series in text, series
    assert 'route="/v1/feeds/tests",status="202"' in text
    assert 'healthcode_codes_verified_total{result="' in text
    assert "PASS000001" not in text


def test_metrics_need_an_admin_or_a_metrics_key(
    client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    assert client.get("/metrics").status_code == 401
    official = login("official")
    assert client.get("/metrics", headers=official).status_code == 403
    created = client.post(
        "/v1/api-keys", json={"name": "prometheus", "scopes": ["metrics"]}, headers=login("admin")
    )
    assert created.status_code == 201, created.json
    key = {"Authorization": f"Bearer {created.json['secret']}"}
    assert client.get("/metrics", headers=key).status_code == 200
