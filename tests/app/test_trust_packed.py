"""GET /v1/trust serves packed revocations (rev_format 2): subjects travel only as hashes,
deltas add and remove by hash, and the ETag/304 and gzip behaviour is unchanged."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app.db import utcnow
from app.jobs.periodic import maintain_trust
from app.services.subjects import subject_of
from codes import VerificationKey, apply_delta, load_bundle, revocation_hash
from codes.b64 import b64u_decode, b64u_encode

PROFILE = {"name": "Li Si", "id_number": "11010519491231002X", "birth_date": "1949-12-31"}


def payload(doc: dict[str, str]) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(b64u_decode(doc["payload"]))
    return decoded


def test_bundle_and_deltas_carry_hashes_not_subjects(
    app: Flask,
    client: FlaskClient,
    resident: Callable[..., dict[str, str]],
    login: Callable[[str], dict[str, str]],
) -> None:
    holder = resident()
    assert client.put("/v1/me/profile", json=PROFILE, headers=holder).status_code == 200
    client.get("/v1/me/code", headers=holder)
    root = VerificationKey.from_pem(client.get("/v1/trust/root").data)
    start = load_bundle(client.get("/v1/trust").json, root)
    person_id = client.get("/v1/me/profile", headers=holder).json["person_id"]
    subject = subject_of(uuid.UUID(person_id))
    digest = revocation_hash("health", subject)
    client.post(f"/v1/persons/{person_id}/withdraw-codes", headers=login("official"))

    served = client.get("/v1/trust", headers={"Accept-Encoding": "gzip"})
    assert served.headers["Content-Encoding"] == "gzip"
    doc = json.loads(gzip.decompress(served.data))
    full = payload(doc)
    assert full["rev_format"] == 2 and set(full["revocations"]) == {"health"}
    assert full["revocations"]["health"]["hash"] == b64u_encode(digest)
    assert subject not in b64u_decode(doc["payload"]).decode()
    etag = served.headers["ETag"]
    assert client.get("/v1/trust", headers={"If-None-Match": etag}).status_code == 304

    delta = client.get(f"/v1/trust?since={start.seq}").json
    added = payload(delta)
    assert added["rev_format"] == 2 and added["revocations_removed"] == {}
    assert added["revocations_added"]["health"]["hash"] == b64u_encode(digest)
    held = apply_delta(start, delta, root)
    assert held.revoked_before("health", subject) is not None

    app.extensions["healthcode"].clock = lambda: utcnow() + timedelta(hours=13)
    with app.app_context():
        assert maintain_trust() >= 1
    pruned = client.get(f"/v1/trust?since={held.seq}").json
    assert payload(pruned)["revocations_removed"] == {"health": b64u_encode(digest)}
    assert apply_delta(held, pruned, root).revoked_before("health", subject) is None
