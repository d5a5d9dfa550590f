"""The live cache: code fetches, online verifications and trust 304s answered from memory,
and every change that matters dropping what it changed at once (in this process at commit,
in others through Redis)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, text

from app.db import utcnow
from app.live_cache import EVERYTHING, MISS, LiveCache, account, person, stale
from app.models import Person
from tests.app.venues.conftest import id_number, iso

DISABLE_OFFICIALS = "UPDATE accounts SET disabled_at = CURRENT_TIMESTAMP WHERE role = 'official'"


def _live(app: Flask) -> LiveCache:
    live: LiveCache = app.extensions["healthcode"].live
    deadline = time.monotonic() + 5
    while not live.listening():  # the listener subscribes on first use
        assert time.monotonic() < deadline, "the live cache never subscribed"
        time.sleep(0.01)
    return live


@contextmanager
def _statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs inside the block."""
    seen: list[str] = []
    engine = app.extensions["healthcode"].db.engine

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _holder(client: FlaskClient, resident: Callable[..., dict[str, str]], serial: int) -> Any:
    headers = resident()
    body = {"name": f"Holder {serial}", "id_number": id_number(serial), "birth_date": "1990-01-01"}
    assert client.put("/v1/me/profile", json=body, headers=headers).status_code == 200
    return headers


def _positive(client: FlaskClient, official: dict[str, str], serial: int, record_id: str) -> None:
    """A positive test an hour ago for the holder of `serial`, accepted."""
    record = {
        "record_id": record_id,
        "id_number": id_number(serial),
        "kind": "pcr",
        "result": "positive",
        "sampled_at": iso(utcnow() - timedelta(hours=1)),
    }
    feed = client.post("/v1/feeds/tests", json={"records": [record]}, headers=official)
    assert feed.status_code == 202


def _until(predicate: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "not within the deadline"
        time.sleep(0.01)


def test_hot_reads_run_no_query_once_warm(
    app: Flask,
    client: FlaskClient,
    resident: Callable[..., dict[str, str]],
    login: Callable[[str], dict[str, str]],
) -> None:
    _live(app)
    holder = _holder(client, resident, 41)
    checkpoint = login("checkpoint")
    code = client.get("/v1/me/code", headers=holder).json["code"]
    etag = client.get("/v1/trust").headers["ETag"]
    chinese = {**holder, "Accept-Language": "zh-CN"}
    for _ in range(2):  # warm
        client.get("/v1/me/code", headers=holder)
        client.get("/v1/me/status", headers=holder)
        client.get("/v1/me/status", headers=chinese)
        client.post("/v1/verify", json={"code": code}, headers=checkpoint)
        client.get("/v1/trust", headers={"If-None-Match": etag})
    with _statements(app) as seen:
        fetched = client.get("/v1/me/code", headers=holder)
        status = client.get("/v1/me/status", headers=holder)
        status_zh = client.get("/v1/me/status", headers=chinese)
        verified = client.post("/v1/verify", json={"code": code}, headers=checkpoint)
        unchanged = client.get("/v1/trust", headers={"If-None-Match": etag})
    assert fetched.json["code"] == code
    assert status.json["color"] == status_zh.json["color"] == "green"
    assert verified.json["valid"] is True
    assert unchanged.status_code == 304
    assert seen == []


def test_each_trust_document_is_made_once_per_state(app: Flask, client: FlaskClient) -> None:
    _live(app)
    first = client.get("/v1/trust")
    delta = client.get("/v1/trust?since=0")
    with _statements(app) as seen:
        again = client.get("/v1/trust")
        delta_again = client.get("/v1/trust?since=0")
    assert seen == []
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert delta_again.data == delta.data


def test_a_disabled_account_stops_at_once_while_warm(
    app: Flask, client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    _live(app)
    admin = login("admin")
    official = login("official")
    for _ in range(3):
        assert client.get("/v1/api-keys", headers=official).status_code == 200
    accounts = client.get("/v1/accounts?role=official", headers=admin).json
    r = client.patch(f"/v1/accounts/{accounts[0]['id']}", json={"disabled": True}, headers=admin)
    assert r.status_code == 200
    assert client.get("/v1/api-keys", headers=official).status_code == 401


def test_colour_change_revocation_and_trust_change_reach_warm_reads(
    app: Flask,
    client: FlaskClient,
    resident: Callable[..., dict[str, str]],
    login: Callable[[str], dict[str, str]],
    run_jobs: Callable[[], int],
) -> None:
    _live(app)
    holder = _holder(client, resident, 42)
    official = login("official")
    checkpoint = login("checkpoint")
    green = client.get("/v1/me/code", headers=holder).json
    bundle = client.get("/v1/trust")
    etag = bundle.headers["ETag"]
    for _ in range(2):
        assert client.get("/v1/me/code", headers=holder).json == green
        assert client.get("/v1/me/status", headers=holder).json["color"] == "green"
        assert client.post("/v1/verify", json={"code": green["code"]}, headers=checkpoint).json[
            "valid"
        ]
        assert client.get("/v1/trust", headers={"If-None-Match": etag}).status_code == 304

    _positive(client, official, 42, "live-1")
    run_jobs()  # the recompute commits the red status and revokes the green code

    red = client.get("/v1/me/code", headers=holder).json
    assert red["color"] == "red" and red["code"] != green["code"]
    status = client.get("/v1/me/status", headers=holder).json
    assert status["color"] == "red" and "Positive pcr test" in status["reasons"][0]["text"]
    old = client.post("/v1/verify", json={"code": green["code"]}, headers=checkpoint).json
    assert old["valid"] is False and old["reason"] == "REVOKED"
    assert client.get("/v1/trust", headers={"If-None-Match": etag}).status_code == 200
    assert client.get("/v1/trust").data != bundle.data


def test_a_published_rule_set_drops_the_status_views_it_explains(
    app: Flask,
    client: FlaskClient,
    resident: Callable[..., dict[str, str]],
    login: Callable[[str], dict[str, str]],
    run_jobs: Callable[[], int],
) -> None:
    """A red status is explained with the active rule set; a publish that changes nobody's
    colour writes no status row, so the publish itself must drop the views kept."""
    from risk import load_default_policy

    _live(app)
    holder = _holder(client, resident, 43)
    official = login("official")
    _positive(client, official, 43, "live-publish")
    run_jobs()
    for _ in range(2):
        assert client.get("/v1/me/status", headers=holder).json["color"] == "red"
    with _statements(app) as seen:
        client.get("/v1/me/status", headers=holder)
    assert seen == []
    policy = load_default_policy()
    body = {"default_color": policy["default_color"], "rules": policy["rules"]}
    created = client.post("/v1/rulesets", json=body, headers=official)
    assert created.status_code == 201, created.json
    version = created.json["version"]
    assert client.post(f"/v1/rulesets/{version}/publish", headers=official).status_code == 202
    with _statements(app) as seen:  # before the recompute: read and explained again
        after = client.get("/v1/me/status", headers=holder).json
    assert any("person_status" in statement for statement in seen), seen
    assert after["color"] == "red" and "Positive pcr test" in after["reasons"][0]["text"]
    run_jobs()


def test_a_drop_published_by_another_process_empties_the_entry(
    app: Flask, client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    live = _live(app)
    official = login("official")
    for _ in range(3):
        assert client.get("/v1/api-keys", headers=official).status_code == 200
    c = app.extensions["healthcode"]
    with c.db.engine.begin() as conn:  # a write no session of this process sees
        conn.execute(text(DISABLE_OFFICIALS))
    assert client.get("/v1/api-keys", headers=official).status_code == 200  # served from memory
    with c.db.engine.connect() as conn:
        ids = [row[0] for row in conn.execute(text("SELECT id FROM accounts"))]
    tags = [list(account(uuid.UUID(str(i)))) for i in ids]
    message = {"origin": "another-process", "tags": tags}
    c.redis.publish(live.channel, json.dumps(message))  # what another process's commit sends
    _until(lambda: client.get("/v1/api-keys", headers=official).status_code == 401)


def test_after_losing_redis_the_cache_misses_then_starts_empty(
    app: Flask, client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    live = _live(app)
    official = login("official")
    for _ in range(3):
        assert client.get("/v1/api-keys", headers=official).status_code == 200
    c = app.extensions["healthcode"]
    with c.db.engine.begin() as conn:  # a write no drop will ever announce
        conn.execute(text(DISABLE_OFFICIALS))
    assert client.get("/v1/api-keys", headers=official).status_code == 200
    before = live.token()
    c.redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")  # drops could be lost now
    _until(lambda: live.token() != before)
    assert client.get("/v1/api-keys", headers=official).status_code == 401
    _live(app)  # subscribed again


def test_a_value_read_while_a_drop_came_in_is_not_kept(app: Flask) -> None:
    live = _live(app)
    tag = person(uuid.uuid4())
    with app.extensions["healthcode"].db.session() as session:
        token = live.token()
        live.drop([tag])  # a commit elsewhere while this read ran
        live.put(tag, "code", "old", token=token, session=session)
        assert live.get(tag, "code", session=session) is MISS
        live.put(tag, "code", "new", token=live.token(), session=session)
        assert live.get(tag, "code", session=session) == "new"
        live.drop([EVERYTHING])
        assert live.get(tag, "code", session=session) is MISS


def test_a_unit_of_work_reads_its_own_writes(app: Flask) -> None:
    live = _live(app)
    person_id = uuid.uuid4()
    tag = person(person_id)
    with app.extensions["healthcode"].db.session() as session:
        live.put(tag, "code", "kept", token=live.token(), session=session)
        assert live.get(tag, "code", session=session) == "kept"
        session.add(Person(id=person_id, id_hash=person_id.hex * 2, id_last4="0001"))
        assert live.get(tag, "code", session=session) is MISS  # changed here, not committed
        session.rollback()
    with app.extensions["healthcode"].db.session() as session:
        assert live.get(tag, "code", session=session) == "kept"  # the rollback dropped nothing
        stale(session, [tag])
        assert live.get(tag, "code", session=session) is MISS
    with app.extensions["healthcode"].db.session() as session:
        assert live.get(tag, "code", session=session) is MISS  # the commit dropped it
        session.add(Person(id=person_id, id_hash=person_id.hex * 2, id_last4="0001"))
        session.commit()
    with app.extensions["healthcode"].db.session() as session:
        loaded = session.get(Person, person_id)
        assert loaded is not None
        live.put(tag, "code", "kept", token=live.token(), session=session)
        assert live.get(tag, "code", session=session) == "kept"
        loaded.id_last4 = "0002"  # a loaded row changed, not flushed yet
        assert live.get(tag, "code", session=session) is MISS
        session.rollback()


def test_switched_off_it_never_answers(app_factory: Callable[..., Flask]) -> None:
    other = app_factory(live_cache_seconds=0)
    live: LiveCache = other.extensions["healthcode"].live
    with other.extensions["healthcode"].db.session() as session:
        live.put(("trust",), "seq", 1, token=live.token(), session=session)
        assert not live.listening()
        assert live.get(("trust",), "seq", session=session) is MISS


def test_a_code_verified_from_memory_still_expires(
    app: Flask,
    client: FlaskClient,
    resident: Callable[..., dict[str, str]],
    login: Callable[[str], dict[str, str]],
) -> None:
    _live(app)
    holder = _holder(client, resident, 43)
    checkpoint = login("checkpoint")
    code = client.get("/v1/me/code", headers=holder).json
    for _ in range(3):
        assert client.post("/v1/verify", json={"code": code["code"]}, headers=checkpoint).json[
            "valid"
        ]
    expires_at = datetime.fromisoformat(code["expires_at"])
    app.extensions["healthcode"].clock = lambda: expires_at + timedelta(minutes=5)
    late = client.post("/v1/verify", json={"code": code["code"]}, headers=checkpoint).json
    assert late["valid"] is False and late["reason"] == "EXPIRED"
