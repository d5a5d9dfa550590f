"""GET /v1/trust serves packed revocations (rev_format 2): subjects travel only as hashes,
deltas add and remove by hash, and the ETag/304 and gzip behaviour is unchanged."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.db import utcnow
from app.jobs.periodic import maintain_trust
from app.live_cache import EVERYTHING
from app.models import CodeRevocation, Person, TrustChange
from app.services import trust
from app.services.subjects import subject_of
from app.states import TrustChangeKind
from codes import VerificationKey, apply_delta, load_bundle, revocation_hash
from codes.b64 import b64u_decode, b64u_encode
from codes.claims import to_seconds

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
    # nothing of the kind is left: a cut-off just after the entry drops it, no hash is listed
    pruned = client.get(f"/v1/trust?since={held.seq}&cutoffs=1").json
    before = held.revoked_before("health", subject)
    assert before is not None
    assert payload(pruned)["revocations_removed"] == {}
    assert payload(pruned)["revocations_expired"] == {"health": to_seconds(before) + 1}
    assert apply_delta(held, pruned, root).revoked_before("health", subject) is None
    # a client that does not ask for cut-offs (written before them) gets the hash listed
    listed = client.get(f"/v1/trust?since={held.seq}").json
    assert "revocations_expired" not in payload(listed)
    assert payload(listed)["revocations_removed"] == {"health": b64u_encode(digest)}
    assert apply_delta(held, listed, root).revoked_before("health", subject) is None


def revoked(
    app: Flask,
    now: datetime,
    entries: dict[uuid.UUID, tuple[datetime, datetime]],
    also: tuple[uuid.UUID, ...] = (),
) -> None:
    """People (these and `also`) and revocations of these, {person: (before, drop_after)},
    written directly in one trust change."""
    c = app.extensions["healthcode"]
    with c.db.session() as session:
        for pid in [*entries, *also]:
            session.add(Person(id=pid, id_hash=pid.hex * 2, id_last4="0000"))
        change = TrustChange(kind=TrustChangeKind.REVOCATION, subject=None, at=now)
        session.add(change)
        session.flush()
        for pid, (before, drop_after) in entries.items():
            session.add(
                CodeRevocation(
                    person_id=pid,
                    before=before,
                    reason="withdrawn",
                    seq=change.seq,
                    drop_after=drop_after,
                    updated_at=now,
                )
            )
        session.commit()


def test_pruned_entries_go_by_cutoff_unless_a_kept_entry_is_older(
    app: Flask, client: FlaskClient
) -> None:
    """The hour's pruned entries cost a cut-off, not 8 bytes each. An entry pruned while an
    older one stays (the code lifetime setting changed between them), and a drop logged
    before the cut-off column existed (no before), are listed by hash; the device's state
    after the delta is the full bundle's."""
    now = utcnow().replace(microsecond=0)
    c = app.extensions["healthcode"]
    people = {name: uuid.uuid4() for name in ("oldest", "later", "kept", "legacy")}
    revoked(
        app,
        now,
        {
            people["oldest"]: (now - timedelta(hours=5), now - timedelta(minutes=1)),
            people["later"]: (now - timedelta(hours=3), now - timedelta(minutes=1)),
            people["kept"]: (now - timedelta(hours=4), now + timedelta(hours=10)),
        },
        also=(people["legacy"],),
    )
    c.live.drop([EVERYTHING])  # rows written behind the services' back
    root = VerificationKey.from_pem(client.get("/v1/trust/root").data)
    held = load_bundle(client.get("/v1/trust").json, root)
    assert held.revoked_before("health", subject_of(people["oldest"])) is not None
    with c.db.session() as session:  # a drop logged before trust_changes.before existed
        session.add(
            TrustChange(
                kind=TrustChangeKind.REVOCATION_DROPPED,
                subject=subject_of(people["legacy"]),
                at=now,
            )
        )
        session.commit()
    with app.app_context():
        assert maintain_trust() == 2
    delta = client.get(f"/v1/trust?since={held.seq}&cutoffs=1").json
    body = payload(delta)
    kept_before = int((now - timedelta(hours=4)).timestamp())
    assert body["revocations_expired"] == {"health": kept_before}
    listed = b64u_decode(body["revocations_removed"]["health"])
    assert sorted(listed[i : i + 8] for i in range(0, len(listed), 8)) == sorted(
        revocation_hash("health", subject_of(people[name])) for name in ("later", "legacy")
    )
    applied = apply_delta(held, delta, root)
    assert applied == load_bundle(client.get("/v1/trust").json, root)
    assert [applied.revoked_before("health", subject_of(p)) for p in people.values()] == [
        None,
        None,
        now - timedelta(hours=4),
        None,
    ]


def test_a_revocation_raised_while_a_delta_is_made_is_not_cut_off(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The oldest live entry is revoked again (its before rises) after the delta read what was
    added but before the delta is signed: the cut-off must still keep the entry the device
    holds (PostgreSQL reads each statement's own committed state)."""
    now = utcnow().replace(microsecond=0)
    c = app.extensions["healthcode"]
    pruned, oldest = uuid.uuid4(), uuid.uuid4()
    revoked(
        app,
        now,
        {
            pruned: (now - timedelta(hours=5), now - timedelta(minutes=1)),
            oldest: (now - timedelta(hours=4), now + timedelta(hours=10)),
        },
    )
    c.live.drop([EVERYTHING])
    root = VerificationKey.from_pem(client.get("/v1/trust/root").data)
    held = load_bundle(client.get("/v1/trust").json, root)
    with app.app_context():
        assert maintain_trust() == 1
    read_added = trust._revocations

    def added_then_raised(session: Any, **kwargs: Any) -> Any:
        found = read_added(session, **kwargs)
        with c.db.session() as other:  # another request commits a new revocation of `oldest`
            raised = other.get(CodeRevocation, oldest)
            assert raised is not None
            raised.before = now - timedelta(hours=1)
            other.add(TrustChange(kind=TrustChangeKind.REVOCATION, subject=None, at=now))
            other.commit()
        return found

    monkeypatch.setattr(trust, "_revocations", added_then_raised)
    c.live.drop([EVERYTHING])
    delta = client.get(f"/v1/trust?since={held.seq}&cutoffs=1").json
    applied = apply_delta(held, delta, root)
    assert applied.revoked_before("health", subject_of(pruned)) is None
    assert applied.revoked_before("health", subject_of(oldest)) == now - timedelta(hours=4)
