"""Data feeds: per-record validation, duplicates, scopes, and application by real workers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.db import utcnow

ID = "11010519491231002X"


def iso(moment) -> str:  # type: ignore[no-untyped-def]
    return moment.isoformat().replace("+00:00", "Z")


def test_batch_accepts_good_records_and_rejects_bad_ones(
    client: FlaskClient, login: Callable[[str], dict[str, str]], run_jobs: Callable[[], int]
) -> None:
    official = login("official")
    now = utcnow()
    records = [
        {
            "record_id": "lab1-1",
            "id_number": ID,
            "kind": "pcr",
            "result": "negative",
            "sampled_at": iso(now - timedelta(days=1)),
        },
        {
            "record_id": "lab1-2",
            "id_number": ID,
            "kind": "blood",
            "result": "negative",
            "sampled_at": iso(now),
        },
        {
            "record_id": "lab1-3",
            "id_number": "123",
            "kind": "pcr",
            "result": "negative",
            "sampled_at": iso(now + timedelta(hours=2)),
            "extra": 1,
        },
        "not an object",
        {
            "record_id": "lab1-1",
            "id_number": ID,
            "kind": "pcr",
            "result": "negative",
            "sampled_at": iso(now - timedelta(days=1)),
        },
        {
            "record_id": "lab1-4",
            "id_number": ID,
            "kind": "pcr",
            "result": "negative",
            "sampled_at": "2026-11-20T08:00:00",
        },
    ]
    response = client.post("/v1/feeds/tests", json={"records": records}, headers=official)
    assert response.status_code == 202, response.json
    body = response.json
    assert body["accepted"] == 1 and body["duplicates"] == 1
    rejected = {r["index"]: {e["pointer"] for e in r["errors"]} for r in body["rejected"]}
    assert rejected == {
        1: {"/kind"},
        2: {"/id_number", "/sampled_at", "/extra"},
        3: {""},
        5: {"/sampled_at"},
    }
    again = client.post("/v1/feeds/tests", json={"records": records[:1]}, headers=official)
    assert again.json["accepted"] == 0 and again.json["duplicates"] == 1
    batch = client.get(f"/v1/feeds/batches/{body['batch_id']}", headers=official).json
    assert batch["status"] == "queued" and batch["accepted"] == 1
    run_jobs()
    batch = client.get(f"/v1/feeds/batches/{body['batch_id']}", headers=official).json
    assert batch["status"] == "applied"


def test_unknown_region_and_departure_before_arrival_rejected(
    client: FlaskClient, login: Callable[[str], dict[str, str]], app: Flask
) -> None:
    app.test_cli_runner().invoke(args=["demo", "seed"])
    now = utcnow()
    records = [
        {
            "record_id": "t1",
            "id_number": ID,
            "region_code": "XX-NOWHERE",
            "arrived_at": iso(now - timedelta(days=2)),
        },
        {
            "record_id": "t2",
            "id_number": ID,
            "region_code": "CN-GD-GZ",
            "arrived_at": iso(now - timedelta(days=2)),
            "departed_at": iso(now - timedelta(days=3)),
        },
        {
            "record_id": "t3",
            "id_number": ID,
            "region_code": "CN-GD-GZ",
            "arrived_at": iso(now - timedelta(days=2)),
            "departed_at": None,
        },
    ]
    body = client.post(
        "/v1/feeds/travel", json={"records": records}, headers=login("official")
    ).json
    assert body["accepted"] == 1
    assert [r["errors"][0]["pointer"] for r in body["rejected"]] == ["/region_code", "/departed_at"]


def test_api_key_scopes_per_feed(
    client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    official = login("official")
    secret = client.post(
        "/v1/api-keys", json={"name": "lab", "scopes": ["feed:tests"]}, headers=official
    ).json["secret"]
    lab = {"Authorization": f"Bearer {secret}"}
    test = {
        "record_id": "k1",
        "id_number": ID,
        "kind": "antigen",
        "result": "negative",
        "sampled_at": iso(utcnow()),
    }
    ok = client.post("/v1/feeds/tests", json={"records": [test]}, headers=lab)
    assert ok.status_code == 202
    travel = client.post("/v1/feeds/travel", json={"records": [test]}, headers=lab)
    assert travel.status_code == 403
    batch = client.get(f"/v1/feeds/batches/{ok.json['batch_id']}", headers=lab)
    assert batch.status_code == 200
    other = client.post(
        "/v1/api-keys", json={"name": "lab2", "scopes": ["feed:tests"]}, headers=official
    ).json["secret"]
    hidden = client.get(
        f"/v1/feeds/batches/{ok.json['batch_id']}", headers={"Authorization": f"Bearer {other}"}
    )
    assert hidden.status_code == 404


def test_batch_size_limits(client: FlaskClient, login: Callable[[str], dict[str, str]]) -> None:
    official = login("official")
    assert client.post("/v1/feeds/tests", json={"records": []}, headers=official).status_code == 422
    too_many = [{"record_id": str(i)} for i in range(10_001)]
    r = client.post("/v1/feeds/tests", json={"records": too_many}, headers=official)
    assert r.status_code == 422 and r.json["errors"][0]["pointer"] == "/records"


@pytest.fixture
def resident_with_id(
    client: FlaskClient, resident: Callable[..., dict[str, str]]
) -> dict[str, str]:
    headers = resident()
    body = {"name": "Zhang San", "id_number": ID, "birth_date": "1949-12-31"}
    assert client.put("/v1/me/profile", json=body, headers=headers).status_code == 200
    return headers


def test_positive_test_turns_resident_red_with_reasons(
    client: FlaskClient,
    login: Callable[[str], dict[str, str]],
    resident_with_id: dict[str, str],
    run_jobs: Callable[[], int],
) -> None:
    me = resident_with_id
    green_code = client.get("/v1/me/code", headers=me).json
    assert green_code["color"] == "green"
    sampled = (utcnow() - timedelta(days=2)).replace(microsecond=0)
    record = {
        "record_id": "p1",
        "id_number": ID,
        "kind": "pcr",
        "result": "positive",
        "sampled_at": iso(sampled),
    }
    official = login("official")
    assert (
        client.post("/v1/feeds/tests", json={"records": [record]}, headers=official).status_code
        == 202
    )
    run_jobs()
    status = client.get("/v1/me/status", headers=me).json
    assert status["color"] == "red"
    assert status["valid_until"].startswith(iso(sampled + timedelta(days=14))[:19])
    [reason] = status["reasons"]
    assert reason["rule_id"] == "positive-test" and reason["how_to_clear"]
    zh = client.get("/v1/me/status", headers={**me, "Accept-Language": "zh-CN,zh;q=0.9"}).json
    assert zh["reasons"][0]["text"] != reason["text"]
    history = client.get("/v1/me/history", headers=me).json
    assert [(h["from"], h["to"]) for h in history] == [("green", "red")]
    # the green code was revoked when the colour got worse; the new code is red
    checkpoint = login("checkpoint")
    old = client.post("/v1/verify", json={"code": green_code["code"]}, headers=checkpoint).json
    assert old["reason"] == "REVOKED"
    red = client.get("/v1/me/code", headers=me).json
    assert red["color"] == "red"
    assert red["expires_at"] <= status["valid_until"]


def test_negative_pcr_after_positive_clears(
    client: FlaskClient,
    login: Callable[[str], dict[str, str]],
    resident_with_id: dict[str, str],
    run_jobs: Callable[[], int],
) -> None:
    official = login("official")
    now = utcnow()
    records = [
        {
            "record_id": "a",
            "id_number": ID,
            "kind": "antigen",
            "result": "positive",
            "sampled_at": iso(now - timedelta(days=3)),
        },
        {
            "record_id": "b",
            "id_number": ID,
            "kind": "pcr",
            "result": "negative",
            "sampled_at": iso(now - timedelta(days=1)),
        },
    ]
    client.post("/v1/feeds/tests", json={"records": records}, headers=official)
    run_jobs()
    assert client.get("/v1/me/status", headers=resident_with_id).json["color"] == "green"


def test_expired_colours_are_recomputed_by_the_scheduled_job(
    app: Flask,
    client: FlaskClient,
    login: Callable[[str], dict[str, str]],
    resident_with_id: dict[str, str],
    run_jobs: Callable[[], int],
) -> None:
    from app.jobs.periodic import recompute_expired

    exposed = utcnow() - timedelta(days=6, hours=23)
    contact = {"record_id": "c1", "id_number": ID, "kind": "secondary", "exposed_at": iso(exposed)}
    client.post("/v1/feeds/contacts", json={"records": [contact]}, headers=login("official"))
    run_jobs()
    status = client.get("/v1/me/status", headers=resident_with_id).json
    assert status["color"] == "yellow"
    container = app.extensions["healthcode"]
    container.clock = lambda: utcnow() + timedelta(hours=2)
    with app.app_context():
        assert recompute_expired() == 1
    assert client.get("/v1/me/status", headers=resident_with_id).json["color"] == "green"
    history = client.get("/v1/me/history", headers=resident_with_id).json
    assert [(h["from"], h["to"]) for h in history] == [("yellow", "green"), ("green", "yellow")]


def _post_positive_sent_by(
    relay: object, app: Flask, client: FlaskClient, headers: dict[str, str], record_id: str
) -> None:
    """POST one positive test while `relay` sends the request's outbox entries."""
    container = app.extensions["healthcode"]
    real, container.relay = container.relay, relay
    try:
        record = {
            "record_id": record_id,
            "id_number": ID,
            "kind": "pcr",
            "result": "positive",
            "sampled_at": iso(utcnow() - timedelta(hours=5)),
        }
        response = client.post("/v1/feeds/tests", json={"records": [record]}, headers=headers)
        assert response.status_code == 202 and response.json["accepted"] == 1
    finally:
        container.relay = real


def _lease_passes(app: Flask) -> None:
    """Every outbox entry now looks sent longer ago than the lease."""
    from sqlalchemy import update

    from app.models import OutboxEntry

    container = app.extensions["healthcode"]
    lease = timedelta(seconds=container.settings.outbox_lease + 1)
    with container.db.session() as s:
        s.execute(update(OutboxEntry).values(enqueued_at=utcnow() - lease))


def test_redis_down_feed_still_accepted_and_applied_later(
    app: Flask,
    client: FlaskClient,
    login: Callable[[str], dict[str, str]],
    resident_with_id: dict[str, str],
    run_jobs: Callable[[], int],
) -> None:
    from redis import Redis

    from app.jobs.periodic import relay_outbox
    from app.services.outbox import Relay

    official = login("official")
    down = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    relay = Relay(down, app.extensions["healthcode"].settings.queue_name)
    _post_positive_sent_by(relay, app, client, official, "down-1")
    assert run_jobs() == 0  # nothing reached the queue
    assert client.get("/v1/me/status", headers=resident_with_id).json["color"] == "green"
    with app.app_context():
        assert relay_outbox() == 1  # Redis is back: the relay sends the pending entry
    run_jobs()
    assert client.get("/v1/me/status", headers=resident_with_id).json["color"] == "red"
    with app.app_context():
        assert relay_outbox() == 0  # done entries are never sent again


def test_a_post_commits_once_and_its_entry_is_sent_marked(
    app: Flask, client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    """The entry is committed as sent with the records: no second statement and commit after
    the send (which also waited for the row lock of a worker already running the job)."""
    from sqlalchemy import event, select

    from app.jobs import get_queue
    from app.models import OutboxEntry

    official = login("official")
    engine = app.extensions["healthcode"].db.engine
    statements: list[str] = []

    def note(_conn, _cursor, statement, _parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement.lstrip().upper())

    def commit(_conn) -> None:  # type: ignore[no-untyped-def]
        statements.append("COMMIT")

    record = {
        "record_id": "once-1",
        "id_number": ID,
        "kind": "pcr",
        "result": "negative",
        "sampled_at": iso(utcnow()),
    }
    event.listen(engine, "before_cursor_execute", note)
    event.listen(engine, "commit", commit)
    try:
        response = client.post("/v1/feeds/tests", json={"records": [record]}, headers=official)
    finally:
        event.remove(engine, "before_cursor_execute", note)
        event.remove(engine, "commit", commit)
    assert response.status_code == 202
    assert statements.count("COMMIT") == 1 and statements[-1] == "COMMIT"
    assert [s for s in statements if s.startswith("UPDATE OUTBOX")] == []
    with app.extensions["healthcode"].db.session() as s:
        entry = s.scalars(select(OutboxEntry)).one()
    assert entry.enqueued_at is not None and entry.attempts == 1
    c = app.extensions["healthcode"]
    assert get_queue(c.redis, c.settings.queue_name).job_ids == [f"outbox-{entry.id}"]


def test_an_entry_committed_but_never_sent_is_sent_once_its_lease_passes(
    app: Flask,
    client: FlaskClient,
    login: Callable[[str], dict[str, str]],
    resident_with_id: dict[str, str],
    run_jobs: Callable[[], int],
) -> None:
    """The process died between the commit and the send: the entry looks sent, and the
    relay finds that Redis never had its job."""
    from app.jobs.periodic import relay_outbox

    class Died:
        def send(self, session: object, entry_ids: object) -> int:
            return 0

    official = login("official")
    _post_positive_sent_by(Died(), app, client, official, "died-1")
    assert run_jobs() == 0
    with app.app_context():
        assert relay_outbox() == 0  # within its lease it may still be on its way
    _lease_passes(app)
    with app.app_context():
        assert relay_outbox() == 1
    run_jobs()
    assert client.get("/v1/me/status", headers=resident_with_id).json["color"] == "red"


def test_an_entry_whose_worker_died_before_starting_it_is_sent_again_after_its_lease(
    app: Flask,
    client: FlaskClient,
    login: Callable[[str], dict[str, str]],
    resident_with_id: dict[str, str],
    run_jobs: Callable[[], int],
) -> None:
    """A worker took the job off the queue (into RQ's intermediate queue, as RQ's dequeue
    does) and died before starting it: the job stays `queued` where no worker looks. A job
    still waiting in the queue for a free worker is left alone."""
    from sqlalchemy import select

    from app.jobs import get_queue
    from app.jobs.periodic import relay_outbox
    from app.models import OutboxEntry
    from app.services.outbox import job_id

    container = app.extensions["healthcode"]
    _post_positive_sent_by(container.relay, app, client, login("official"), "taken-1")
    _lease_passes(app)  # while the job waits for a worker
    with container.db.session() as s:
        entry_id = s.scalars(select(OutboxEntry.id)).one()
    with app.app_context():
        assert relay_outbox() == 0
    queue = get_queue(container.redis, container.settings.queue_name)
    container.redis.lmove(queue.key, queue.intermediate_queue_key, "LEFT", "RIGHT")
    assert queue.job_ids == [] and queue.fetch_job(job_id(entry_id)).get_status() == "queued"
    with app.app_context():
        assert relay_outbox() == 0  # one sighting may be a live worker's moment
        assert relay_outbox() == 1  # still taken and not started on the next run: lost
    _lease_passes(app)  # the job sent again waits past its lease too
    with app.app_context():
        assert relay_outbox() == relay_outbox() == 0  # it is not taken for stuck again
    assert queue.job_ids == [job_id(entry_id)]
    assert container.redis.lrange(queue.intermediate_queue_key, 0, -1) == []
    run_jobs()
    assert client.get("/v1/me/status", headers=resident_with_id).json["color"] == "red"


def test_stats(
    client: FlaskClient,
    login: Callable[[str], dict[str, str]],
    resident_with_id: dict[str, str],
    run_jobs: Callable[[], int],
) -> None:
    official = login("official")
    record = {
        "record_id": "s1",
        "id_number": ID,
        "kind": "pcr",
        "result": "positive",
        "sampled_at": iso(utcnow() - timedelta(hours=5)),
    }
    client.post("/v1/feeds/tests", json={"records": [record]}, headers=official)
    queued = client.get("/v1/stats", headers=official).json
    assert queued["queue"]["depth"] == 1 and queued["outbox_pending"] == 1
    run_jobs()
    stats = client.get("/v1/stats", headers=official).json
    assert stats["colors"]["red"] == 1 and stats["people"] == 1
    assert stats["queue"]["depth"] == 0 and stats["outbox_pending"] == 0
    assert stats["recompute_lag_seconds"] == 0.0


def test_hostile_values_reject_only_their_record(
    client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    good = {
        "record_id": "ok-1",
        "id_number": ID,
        "kind": "pcr",
        "result": "negative",
        "sampled_at": iso(utcnow() - timedelta(hours=1)),
    }
    records = [
        good,
        {**good, "record_id": "old", "sampled_at": "0001-01-01T00:00:00+01:00"},
        {**good, "record_id": "far", "sampled_at": "1999-12-31T00:00:00Z"},
        {**good, "record_id": "nul\x00"},
        {**good, "record_id": "surrogate\ud800"},
    ]
    import json

    body = client.post(  # json.dumps escapes the lone surrogate as \\ud800, as a client would
        "/v1/feeds/tests",
        data=json.dumps({"records": records}),
        content_type="application/json",
        headers=login("official"),
    )
    assert body.status_code == 202, body.json
    assert body.json["accepted"] == 1
    assert [r["index"] for r in body.json["rejected"]] == [1, 2, 3, 4]


def test_disabled_officials_keys_stop_working(
    client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    official, admin = login("official"), login("admin")
    secret = client.post(
        "/v1/api-keys", json={"name": "lab", "scopes": ["feed:tests"]}, headers=official
    ).json["secret"]
    lab = {"Authorization": f"Bearer {secret}"}
    record = {
        "record_id": "k-1",
        "id_number": ID,
        "kind": "pcr",
        "result": "negative",
        "sampled_at": iso(utcnow()),
    }
    assert (
        client.post("/v1/feeds/tests", json={"records": [record]}, headers=lab).status_code == 202
    )
    me = [a for a in client.get("/v1/accounts?role=official", headers=admin).json]
    for account in me:
        client.patch(f"/v1/accounts/{account['id']}", json={"disabled": True}, headers=admin)
    assert (
        client.post("/v1/feeds/tests", json={"records": [record]}, headers=lab).status_code == 401
    )


def test_entry_lost_after_its_last_retry_fails_its_batch(
    app: Flask, client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    from sqlalchemy import update

    from app.jobs.periodic import relay_outbox
    from app.models import OutboxEntry
    from app.services.outbox import MAX_ATTEMPTS

    official = login("official")
    record = {
        "record_id": "lost-1",
        "id_number": ID,
        "kind": "pcr",
        "result": "negative",
        "sampled_at": iso(utcnow()),
    }
    batch_id = client.post("/v1/feeds/tests", json={"records": [record]}, headers=official).json[
        "batch_id"
    ]
    container = app.extensions["healthcode"]
    with container.db.session() as s:  # as if sent MAX_ATTEMPTS times and lost every time
        s.execute(
            update(OutboxEntry).values(
                attempts=MAX_ATTEMPTS, enqueued_at=utcnow() - timedelta(hours=1)
            )
        )
    with app.app_context():
        relay_outbox()
        relay_outbox()  # reported once
    batch = client.get(f"/v1/feeds/batches/{batch_id}", headers=official).json
    assert batch["status"] == "failed"
    assert client.get("/v1/stats", headers=official).json["failed_batches"] == 1
