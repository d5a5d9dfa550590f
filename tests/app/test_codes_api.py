"""Residents' codes, online verification, the trust bundle, and key rotation/revocation."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.db import utcnow
from app.models import PersonStatus
from app.services.subjects import subject_of
from codes import (
    HEALTH,
    HealthClaims,
    SigningKey,
    TrustBundle,
    VerificationKey,
    apply_delta,
    check,
    issue,
    load_bundle,
    revocation_hash,
)
from codes.claims import new_code_id

ID_NUMBER = "11010519491231002X"


@pytest.fixture
def holder(client: FlaskClient, resident: Callable[..., dict[str, str]]) -> dict[str, str]:
    headers = resident()
    body = {"name": "Zhang San", "id_number": ID_NUMBER, "birth_date": "1949-12-31"}
    assert client.put("/v1/me/profile", json=body, headers=headers).status_code == 200
    return headers


def _sync(client: FlaskClient, held: TrustBundle | None = None) -> TrustBundle:
    root = VerificationKey.from_pem(client.get("/v1/trust/root").data)
    return load_bundle(client.get("/v1/trust").json, root, held=held)


def _verify(client: FlaskClient, headers: dict[str, str], code: str) -> dict:  # type: ignore[type-arg]
    response = client.post("/v1/verify", json={"code": code}, headers=headers)
    assert response.status_code == 200
    return response.json  # type: ignore[no-any-return]


def test_profile_required_first(
    client: FlaskClient, resident: Callable[..., dict[str, str]]
) -> None:
    response = client.get("/v1/me/code", headers=resident())
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"


def test_code_is_reused_while_valid(client: FlaskClient, holder: dict[str, str]) -> None:
    first = client.get("/v1/me/code", headers=holder).json
    assert set(first) >= {"code", "color", "issued_at", "expires_at", "kid"}
    assert first["color"] == "green"
    assert client.get("/v1/me/code", headers=holder).json["code"] == first["code"]


def test_new_residents_code_and_status_agree_on_ruleset_0(
    client: FlaskClient, holder: dict[str, str]
) -> None:
    """0 = no rule set has assessed this person yet (codes/SPEC.md), in the code and the API."""
    import cbor2

    from codes.base32 import b32decode

    code = client.get("/v1/me/code", headers=holder).json
    status = client.get("/v1/me/status", headers=holder).json
    payload = cbor2.loads(cbor2.loads(b32decode(code["code"][5:])).value[2])
    assert payload[-65537][2] == code["rule_set_version"] == status["rule_set_version"] == 0


def test_online_verification_shows_hints(
    client: FlaskClient, holder: dict[str, str], login: Callable[[str], dict[str, str]]
) -> None:
    code = client.get("/v1/me/code", headers=holder).json
    result = _verify(client, login("checkpoint"), code["code"])
    assert result["valid"] is True and result["reason"] is None
    assert result["color"] == "green"
    assert result["holder"] == {"name": "Z**** S**", "id_last4": "002X"}
    assert result["code_id"] == code["code_id"]


def test_invalid_code_is_a_normal_answer(
    client: FlaskClient, holder: dict[str, str], login: Callable[[str], dict[str, str]]
) -> None:
    text = client.get("/v1/me/code", headers=holder).json["code"]
    i = len(text) // 2
    tampered = text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1 :]
    result = _verify(client, login("venue_operator"), tampered)
    assert result["valid"] is False
    assert result["reason"] in ("BAD_SIGNATURE", "MALFORMED", "BAD_ENCODING")
    assert result["holder"] is None
    garbage = _verify(client, login("checkpoint"), "hello")
    assert garbage == garbage | {"valid": False, "reason": "BAD_PREFIX"}


def test_checkpoint_api_key_can_verify_but_feed_key_cannot(
    client: FlaskClient, holder: dict[str, str], login: Callable[[str], dict[str, str]]
) -> None:
    official = login("official")
    code = client.get("/v1/me/code", headers=holder).json["code"]
    for scope, expected in (("checkpoint", 200), ("feed:tests", 403)):
        secret = client.post(
            "/v1/api-keys", json={"name": scope, "scopes": [scope]}, headers=official
        ).json["secret"]
        r = client.post(
            "/v1/verify", json={"code": code}, headers={"Authorization": f"Bearer {secret}"}
        )
        assert r.status_code == expected


def test_offline_checkpoint_flow(
    app: Flask, client: FlaskClient, holder: dict[str, str], login: Callable[[str], dict[str, str]]
) -> None:
    code = client.get("/v1/me/code", headers=holder).json
    bundle = _sync(client)
    now = utcnow()
    assert check(code["code"], bundle, now=now, kinds=[HEALTH]).valid
    text = code["code"]
    tampered = text[:-5] + ("A" if text[-5] != "A" else "B") + text[-4:]
    assert not check(tampered, bundle, now=now, kinds=[HEALTH]).valid
    later = now + timedelta(hours=13)
    expired = check(code["code"], bundle, now=later, check_freshness=False, kinds=[HEALTH])
    assert str(expired.reason) == "EXPIRED"
    stale = check(code["code"], bundle, now=now + timedelta(hours=25), kinds=[HEALTH])
    assert str(stale.reason) == "BUNDLE_STALE"
    behind = check(code["code"], bundle, now=bundle.issued_at - timedelta(hours=1), kinds=[HEALTH])
    assert str(behind.reason) == "CLOCK_BEHIND"
    stranger = SigningKey.generate()
    forged = issue(
        HealthClaims(
            "healthcode.example",
            "x",
            now,
            now + timedelta(hours=1),
            new_code_id(),
            "green",
            1,
            "Z*** S**",
            "002X",
        ),
        stranger,
        kind=HEALTH,
    )
    assert str(check(forged, bundle, now=now, kinds=[HEALTH]).reason) == "UNKNOWN_KEY"


def test_withdrawn_codes_fail_offline_and_online(
    client: FlaskClient, holder: dict[str, str], login: Callable[[str], dict[str, str]]
) -> None:
    code = client.get("/v1/me/code", headers=holder).json
    person_id = client.get("/v1/me/profile", headers=holder).json["person_id"]
    held = _sync(client)
    official = login("official")
    r = client.post(f"/v1/persons/{person_id}/withdraw-codes", headers=official)
    assert r.status_code == 204
    fresh = _sync(client, held)
    assert fresh.seq > held.seq
    assert str(check(code["code"], fresh, now=utcnow(), kinds=[HEALTH]).reason) == "REVOKED"
    assert _verify(client, login("checkpoint"), code["code"])["reason"] == "REVOKED"
    # the resident gets a new code at once, and it is valid
    new = client.get("/v1/me/code", headers=holder).json
    assert new["code"] != code["code"]
    assert check(new["code"], fresh, now=utcnow() + timedelta(seconds=2), kinds=[HEALTH]).valid
    unknown = client.post(
        "/v1/persons/00000000-0000-4000-8000-000000000000/withdraw-codes", headers=official
    )
    assert unknown.status_code == 404


def test_bundle_etag_and_delta(
    client: FlaskClient, holder: dict[str, str], login: Callable[[str], dict[str, str]]
) -> None:
    first = client.get("/v1/trust")
    etag = first.headers["ETag"]
    assert client.get("/v1/trust", headers={"If-None-Match": etag}).status_code == 304
    root = VerificationKey.from_pem(client.get("/v1/trust/root").data)
    held = load_bundle(first.json, root)
    person_id = client.get("/v1/me/profile", headers=holder).json["person_id"]
    official = login("official")
    # no code held: nothing to withdraw, so the bundle does not grow (issue 12)
    client.post(f"/v1/persons/{person_id}/withdraw-codes", headers=official)
    assert client.get("/v1/trust", headers={"If-None-Match": etag}).status_code == 304
    client.get("/v1/me/code", headers=holder)
    client.post(f"/v1/persons/{person_id}/withdraw-codes", headers=official)
    zipped = client.get("/v1/trust", headers={"If-None-Match": etag, "Accept-Encoding": "gzip"})
    assert zipped.status_code == 200 and zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["Vary"] == "Accept-Encoding"
    plain = client.get("/v1/trust").json  # the same state (ECDSA signatures differ)
    assert json.loads(gzip.decompress(zipped.data))["payload"] == plain["payload"]
    delta = client.get(f"/v1/trust?since={held.seq}")
    assert delta.status_code == 200
    updated = apply_delta(held, delta.json, root)
    full = _sync(client)
    assert updated.seq == full.seq
    subject = subject_of(uuid.UUID(person_id))
    assert {r.digest for r in updated.revocations} == {revocation_hash("health", subject)}
    assert client.get(f"/v1/trust?since={full.seq + 5}").status_code == 422
    assert client.get("/v1/trust?since=-1").status_code == 422


def test_rotation_keeps_old_codes_valid(
    client: FlaskClient, holder: dict[str, str], login: Callable[[str], dict[str, str]]
) -> None:
    old = client.get("/v1/me/code", headers=holder).json
    admin = login("admin")
    rotated = client.post("/v1/keys/rotate", headers=admin)
    assert rotated.status_code == 201
    assert rotated.json["kid"] != old["kid"]
    assert "private_pem" not in rotated.json
    bundle = _sync(client)
    assert len(bundle.keys) == 2
    assert check(old["code"], bundle, now=utcnow(), kinds=[HEALTH]).valid
    assert _verify(client, login("checkpoint"), old["code"])["valid"] is True
    # the old code is still handed out until it expires; a new person gets the new key
    assert client.get("/v1/me/code", headers=holder).json["kid"] == old["kid"]
    keys = client.get("/v1/keys", headers=admin).json
    statuses = {k["kid"]: k["status"] for k in keys if k["purpose"] == "code"}
    assert statuses == {old["kid"]: "retired", rotated.json["kid"]: "active"}
    retired = next(k for k in keys if k["kid"] == old["kid"])
    assert retired["not_after"] >= old["expires_at"]


def test_key_revocation_kills_its_codes(
    client: FlaskClient, holder: dict[str, str], login: Callable[[str], dict[str, str]]
) -> None:
    old = client.get("/v1/me/code", headers=holder).json
    checkpoint = login("checkpoint")
    assert _verify(client, checkpoint, old["code"])["valid"] is True  # the keys are now known
    admin = login("admin")
    r = client.post(f"/v1/keys/{old['kid']}/revoke", headers=admin)
    assert r.status_code == 200
    bundle = _sync(client)
    assert old["kid"] not in {k.kid_b64 for k in bundle.keys}
    assert str(check(old["code"], bundle, now=utcnow(), kinds=[HEALTH]).reason) == "UNKNOWN_KEY"
    assert _verify(client, checkpoint, old["code"])["reason"] == "UNKNOWN_KEY"
    new = client.get("/v1/me/code", headers=holder).json
    assert (
        new["kid"] != old["kid"] and check(new["code"], bundle, now=utcnow(), kinds=[HEALTH]).valid
    )
    assert _verify(client, checkpoint, new["code"])["valid"] is True  # the new key, at once
    assert client.post("/v1/keys/nosuchkid/revoke", headers=admin).status_code == 404


def test_expiry_capped_by_next_colour_change(
    app: Flask, client: FlaskClient, holder: dict[str, str]
) -> None:
    person_id = client.get("/v1/me/profile", headers=holder).json["person_id"]
    valid_until = (utcnow() + timedelta(hours=2)).replace(microsecond=0)
    with app.extensions["healthcode"].db.session() as s:
        s.add(
            PersonStatus(
                person_id=uuid.UUID(person_id),
                color="yellow",
                valid_until=valid_until,
                ruleset_version=3,
                reasons=[],
            )
        )
    code = client.get("/v1/me/code", headers=holder).json
    assert code["color"] == "yellow"
    assert code["expires_at"].startswith(valid_until.isoformat()[:19])


def test_new_colour_gets_new_code(app: Flask, client: FlaskClient, holder: dict[str, str]) -> None:
    green = client.get("/v1/me/code", headers=holder).json
    person_id = client.get("/v1/me/profile", headers=holder).json["person_id"]
    with app.extensions["healthcode"].db.session() as s:
        s.add(
            PersonStatus(
                person_id=uuid.UUID(person_id),
                color="red",
                valid_until=None,
                ruleset_version=1,
                reasons=[],
            )
        )
    red = client.get("/v1/me/code", headers=holder).json
    assert red["color"] == "red" and red["code"] != green["code"]


def test_png_and_svg_round_trip(
    client: FlaskClient, holder: dict[str, str], login: Callable[[str], dict[str, str]]
) -> None:
    from codes import qr

    code = client.get("/v1/me/code", headers=holder).json
    png = client.get("/v1/me/code.png", headers=holder)
    assert png.status_code == 200 and png.content_type == "image/png"
    assert qr.decode_image(png.data) == code["code"]
    again = client.get("/v1/me/code.png", headers={**holder, "If-None-Match": png.headers["ETag"]})
    assert again.status_code == 304
    svg = client.get("/v1/me/code.svg", headers=holder)
    assert svg.content_type.startswith("image/svg+xml") and b"<svg" in svg.data
    upload = client.post(
        "/v1/verify/image",
        data={"file": (__import__("io").BytesIO(png.data), "scan.png")},
        headers=login("checkpoint"),
        content_type="multipart/form-data",
    )
    assert upload.status_code == 200 and upload.json["valid"] is True


def test_image_upload_errors(
    client: FlaskClient,
    login: Callable[[str], dict[str, str]],
    settings_override: Callable[..., None],
) -> None:
    import io

    checkpoint = login("checkpoint")
    not_image = client.post(
        "/v1/verify/image",
        data={"file": (io.BytesIO(b"not an image"), "x.png")},
        headers=checkpoint,
        content_type="multipart/form-data",
    )
    assert not_image.status_code == 422 and not_image.json["errors"][0]["pointer"] == "/files/file"
    missing = client.post(
        "/v1/verify/image", data={}, headers=checkpoint, content_type="multipart/form-data"
    )
    assert missing.status_code == 422
    settings_override(max_upload_bytes=1000)
    big = client.post(
        "/v1/verify/image",
        data={"file": (io.BytesIO(b"x" * 5000), "x.png")},
        headers=checkpoint,
        content_type="multipart/form-data",
    )
    assert big.status_code == 413


def test_typical_code_fits_qr_version_10(client: FlaskClient, holder: dict[str, str]) -> None:
    import zxingcpp

    text = client.get("/v1/me/code", headers=holder).json["code"]
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    side = zxingcpp.write_barcode_to_image(barcode, scale=1, add_quiet_zones=False).shape[0]
    assert side <= 57, (len(text), side)  # version 10 or lower


def test_maintenance_drops_revocations_and_retired_keys_once_their_codes_expired(
    app: Flask, client: FlaskClient, holder: dict[str, str], login: Callable[[str], dict[str, str]]
) -> None:
    from app.jobs.periodic import maintain_trust

    old = client.get("/v1/me/code", headers=holder).json
    person_id = client.get("/v1/me/profile", headers=holder).json["person_id"]
    client.post(f"/v1/persons/{person_id}/withdraw-codes", headers=login("official"))
    client.post("/v1/keys/rotate", headers=login("admin"))
    root = VerificationKey.from_pem(client.get("/v1/trust/root").data)
    held = _sync(client)
    assert len(held.revocations) == 1 and len(held.keys) == 2
    container = app.extensions["healthcode"]
    with app.app_context():
        assert maintain_trust() == 0  # nothing can be dropped yet
    container.clock = lambda: utcnow() + timedelta(hours=13)
    with app.app_context():
        assert maintain_trust() == 2  # the revocation entry and the retired key
    delta = client.get(f"/v1/trust?since={held.seq}").json
    later = utcnow() + timedelta(hours=13)
    pruned = apply_delta(held, delta, root)
    assert pruned.revocations == () and old["kid"] not in {k.kid_b64 for k in pruned.keys}
    assert str(
        check(old["code"], pruned, now=later, check_freshness=False, kinds=[HEALTH]).reason
    ) in (
        "EXPIRED",
        "UNKNOWN_KEY",
    )
