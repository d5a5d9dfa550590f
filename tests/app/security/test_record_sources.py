"""Issue 8 §2: a record is identified by its source and its id."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient

from app.db import utcnow

NEGATIVE_PERSON = "11010519491231002X"
POSITIVE_PERSON = "110101199003074477"


def _key(client: FlaskClient, official: dict[str, str], name: str) -> dict[str, str]:
    response = client.post(
        "/v1/api-keys", json={"name": name, "scopes": ["feed:tests"]}, headers=official
    )
    assert response.status_code == 201
    return {"Authorization": f"Bearer {response.json['secret']}"}


def _test(id_number: str, result: str, record_id: str = "S-0001") -> dict[str, str]:
    return {
        "record_id": record_id,
        "id_number": id_number,
        "kind": "pcr",
        "result": result,
        "sampled_at": (utcnow() - timedelta(hours=2)).replace(microsecond=0).isoformat(),
    }


def test_two_sources_may_use_the_same_record_id(
    client: FlaskClient, login: Callable[[str], dict[str, str]], run_jobs: Callable[[], int]
) -> None:
    """The reported case: key B's positive S-0001 was counted as a duplicate of key A's."""
    official = login("official")
    lab_a, lab_b = _key(client, official, "lab A"), _key(client, official, "lab B")
    first = client.post(
        "/v1/feeds/tests", json={"records": [_test(NEGATIVE_PERSON, "negative")]}, headers=lab_a
    )
    assert first.json["accepted"] == 1
    second = client.post(
        "/v1/feeds/tests", json={"records": [_test(POSITIVE_PERSON, "positive")]}, headers=lab_b
    )
    assert second.status_code == 202
    assert second.json["accepted"] == 1 and second.json["duplicates"] == 0, second.json
    run_jobs()
    found = client.post("/v1/persons/lookup", json={"id_number": POSITIVE_PERSON}, headers=official)
    status = client.get(f"/v1/persons/{found.json['person_id']}/status", headers=official)
    assert status.json["color"] == "red"


def test_identical_resend_from_the_same_source_is_a_duplicate(
    client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    lab = _key(client, login("official"), "lab")
    body = {"records": [_test(NEGATIVE_PERSON, "negative")]}
    assert client.post("/v1/feeds/tests", json=body, headers=lab).json["accepted"] == 1
    again = client.post("/v1/feeds/tests", json=body, headers=lab).json
    assert again["accepted"] == 0 and again["duplicates"] == 1 and again["rejected"] == []


def test_changed_resend_from_the_same_source_is_rejected_with_a_pointer(
    client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    lab = _key(client, login("official"), "lab")
    original = _test(NEGATIVE_PERSON, "negative")
    assert (
        client.post("/v1/feeds/tests", json={"records": [original]}, headers=lab).json["accepted"]
        == 1
    )
    changed = original | {"result": "positive"}
    other = _test(NEGATIVE_PERSON, "negative", record_id="S-0002")
    body = client.post("/v1/feeds/tests", json={"records": [other, changed]}, headers=lab).json
    assert body["accepted"] == 1 and body["duplicates"] == 0
    (rejection,) = body["rejected"]
    assert rejection["index"] == 1
    assert rejection["errors"][0]["pointer"] == "/record_id"
    assert "different content" in rejection["errors"][0]["detail"]


def test_changed_repeat_inside_one_batch_is_rejected(
    client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    official = login("official")
    record = _test(NEGATIVE_PERSON, "negative")
    body = client.post(
        "/v1/feeds/tests",
        json={"records": [record, record, record | {"result": "positive"}]},
        headers=official,
    ).json
    assert body["accepted"] == 1 and body["duplicates"] == 1
    assert [r["index"] for r in body["rejected"]] == [2]
    assert body["rejected"][0]["errors"][0]["pointer"] == "/record_id"


def test_an_official_is_a_source_of_their_own(
    client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    first, second = login("official"), login("official")
    record = _test(NEGATIVE_PERSON, "negative")
    assert (
        client.post("/v1/feeds/tests", json={"records": [record]}, headers=first).json["accepted"]
        == 1
    )
    other = record | {"id_number": POSITIVE_PERSON, "result": "positive"}
    body = client.post("/v1/feeds/tests", json={"records": [other]}, headers=second).json
    assert body["accepted"] == 1 and body["duplicates"] == 0
