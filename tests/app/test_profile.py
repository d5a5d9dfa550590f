"""Residents' identities: hints only, keyed hashes, linking, and object-level access."""

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import utcnow
from app.models import AuditEvent, Person
from app.services.persons import find_or_create_person
from codes import mask_name

ID_A = "11010519491231002X"  # valid PRC check digit, born 1949-12-31
ID_B = "110101199003074477"


def _put(client: FlaskClient, headers: dict[str, str], id_number: str, **extra: str):  # type: ignore[no-untyped-def]
    body = {"name": "Zhang San", "id_number": id_number, "birth_date": "1949-12-31"} | extra
    return client.put("/v1/me/profile", json=body, headers=headers)


def test_profile_shows_only_hints(
    app: Flask, client: FlaskClient, resident: Callable[..., dict[str, str]]
) -> None:
    headers = resident()
    response = _put(client, headers, ID_A)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["name"] == "Z**** S**" and body["id_last4"] == "002X"
    assert ID_A not in response.get_data(as_text=True)
    assert client.get("/v1/me/profile", headers=headers).json == body
    with app.extensions["healthcode"].db.session() as s:
        person = s.scalars(select(Person)).one()
        columns = [str(getattr(person, c.key)) for c in Person.__table__.columns]
        assert not any(ID_A in value for value in columns)


def test_chinese_name_masking() -> None:
    assert mask_name("张三丰") == "张*丰"
    assert mask_name("张三") == "张*"
    assert mask_name("Zhang San") == "Z**** S**"


def test_check_digit_and_birth_date_validated(
    client: FlaskClient, resident: Callable[..., dict[str, str]]
) -> None:
    headers = resident()
    bad = _put(client, headers, ID_A[:-1] + "1")
    assert bad.status_code == 422 and bad.json["errors"][0]["pointer"] == "/id_number"
    mismatch = _put(client, headers, ID_A, birth_date="1950-01-01")
    assert mismatch.status_code == 422
    assert mismatch.json["errors"][0]["pointer"] == "/birth_date"


def test_registering_links_to_person_created_by_a_feed(
    app: Flask, client: FlaskClient, resident: Callable[..., dict[str, str]]
) -> None:
    c = app.extensions["healthcode"]
    with c.db.session() as s:
        existing = find_or_create_person(s, settings=c.settings, id_number=ID_A, now=utcnow())
        existing_id = str(existing.id)
    body = _put(client, resident(), ID_A).json
    assert body["person_id"] == existing_id


def test_same_id_number_cannot_be_claimed_twice(
    client: FlaskClient, resident: Callable[..., dict[str, str]]
) -> None:
    assert _put(client, resident(), ID_A).status_code == 200
    assert _put(client, resident(), ID_A).status_code == 409


def test_residents_only_see_their_own_profile(
    client: FlaskClient, resident: Callable[..., dict[str, str]]
) -> None:
    alice, bob = resident(), resident()
    a = _put(client, alice, ID_A).json
    b = _put(client, bob, ID_B, name="Li Si", birth_date="1990-03-07").json
    assert a["person_id"] != b["person_id"]
    assert client.get("/v1/me/profile", headers=alice).json["person_id"] == a["person_id"]
    assert client.get("/v1/me/profile", headers=bob).json["person_id"] == b["person_id"]


def test_person_ids_are_random_uuids(
    client: FlaskClient, resident: Callable[..., dict[str, str]]
) -> None:
    import uuid

    body = _put(client, resident(), ID_A).json
    assert uuid.UUID(body["person_id"]).version == 4


def test_official_lookup_is_audited(
    app: Flask,
    client: FlaskClient,
    resident: Callable[..., dict[str, str]],
    login: Callable[[str], dict[str, str]],
) -> None:
    person = _put(client, resident(), ID_A).json
    official = login("official")
    found = client.post("/v1/persons/lookup", json={"id_number": ID_A}, headers=official)
    assert found.status_code == 200
    assert found.json == {"person_id": person["person_id"], "name": "Z**** S**", "id_last4": "002X"}
    missing = client.post("/v1/persons/lookup", json={"id_number": ID_B}, headers=official)
    assert missing.status_code == 404
    with app.extensions["healthcode"].db.session() as s:
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "person.lookup").order_by(AuditEvent.at)
        ).all()
    assert [e.target_id for e in events] == [person["person_id"], None]
    assert all(e.actor_type == "account" and e.actor_id for e in events)
    assert ID_A not in str([e.details for e in events])
