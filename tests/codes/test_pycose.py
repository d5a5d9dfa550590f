"""Third-party verifier: follows codes/SPEC.md and the golden vectors with pycose, python-cwt,
pyjwt and cbor2 only. It imports nothing from the codes package (checked below)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import cbor2
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cwt import COSE, COSEKey
from pycose.keys import CoseKey
from pycose.messages import Sign1Message

VECTORS = sorted((Path(__file__).parent / "vectors").glob("*.json"))
# SPEC.md "Kinds": prefix -> (kind name, private claim key, max lifetime seconds)
KINDS = {
    "HCX1:": ("health", -65537, 7 * 86400),
    "HCP1:": ("place", -65538, 366 * 86400),
    "HCR1:": ("pass", -65539, 731 * 86400),
}
COLORS = ["green", "yellow", "red"]
ALGS = {-7: "ES256", -8: "EdDSA"}


class Refused(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


class RefusedWith(Refused):
    def __init__(self, reason: str, seen: dict[str, Any]) -> None:
        super().__init__(reason)
        self.seen = seen


def b64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def revocation_hash(kind: str, sub: str) -> bytes:
    """SPEC "Packed revocations": SHA-256(kind || 0x00 || sub), first 8 bytes."""
    return hashlib.sha256(kind.encode() + b"\x00" + sub.encode()).digest()[:8]


def running_times(data: bytes) -> list[int]:
    """Unsigned LEB128 varints, each added to the previous time (the first to 0)."""
    times, total, value, shift = [], 0, 0, 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            total += value
            times.append(total)
            value, shift = 0, 0
    assert shift == 0, "truncated varint"
    return times


def hashes(text: str) -> list[bytes]:
    raw = b64u(text)
    assert len(raw) % 8 == 0
    return [raw[i : i + 8] for i in range(0, len(raw), 8)]


def entries(payload: dict[str, Any], name: str) -> dict[bytes, tuple[int, str]]:
    """hash -> (before, kind) of a payload's revocations (a list, or packed per kind); of
    several entries for one hash the latest before wins."""
    if payload.get("rev_format") == 2:
        pairs = []
        for kind, group in payload[name].items():
            found, times = hashes(group["hash"]), running_times(b64u(group["before"]))
            assert len(found) == len(times)
            pairs += [(h, (t, kind)) for h, t in zip(found, times, strict=True)]
    else:
        assert "rev_format" not in payload
        pairs = [
            (revocation_hash(kind, r["sub"]), (r["before"], kind))
            for r in payload[name]
            for kind in [r.get("kind", "health")]
        ]
    out: dict[bytes, tuple[int, str]] = {}
    for digest, entry in pairs:
        out[digest] = max(entry, out.get(digest, entry))
    return out


def removed(delta: dict[str, Any]) -> list[bytes]:
    if delta.get("rev_format") == 2:
        return [h for text in delta["revocations_removed"].values() for h in hashes(text)]
    return [
        revocation_hash(*((i["kind"], i["sub"]) if isinstance(i, dict) else ("health", i)))
        for i in delta["revocations_removed"]
    ]


def load_bundle(vector: dict[str, Any]) -> dict[str, Any]:
    """SPEC "Trust bundle": verify the JWS documents with the pinned root, apply the deltas."""
    root = jwt.PyJWK(vector["root_public_jwk"])

    def payload(doc: dict[str, str], typ: str) -> dict[str, Any]:
        compact = f"{doc['protected']}.{doc['payload']}.{doc['signature']}"
        assert jwt.get_unverified_header(compact)["typ"] == typ
        return json.loads(jwt.api_jws.decode(compact, root.key, algorithms=[root.algorithm_name]))

    bundle = payload(vector["bundle"], "hcx-trust+json")
    revoked = entries(bundle, "revocations")
    for doc in vector.get("deltas", []):
        delta = payload(doc, "hcx-trust-delta+json")
        assert delta["base_seq"] == bundle["seq"]
        cutoffs = delta.get("revocations_expired", {})  # per kind: drop entries before it
        revoked = {
            h: (before, kind)
            for h, (before, kind) in revoked.items()
            if before >= cutoffs.get(kind, 0)
        }
        for digest in removed(delta):
            revoked.pop(digest, None)
        revoked.update(entries(delta, "revocations_added"))
        bundle = {
            **bundle,
            **{k: delta[k] for k in ("seq", "issued_at", "max_offline_age", "keys")},
        }
    return {**bundle, "revoked": revoked}


def text_ok(value: Any, max_bytes: int) -> bool:
    return isinstance(value, str) and 0 < len(value.encode("utf-8")) <= max_bytes


def check_private(kind: str, private: Any) -> bool:
    """SPEC "Claims" CDDL of each kind's private claim map."""
    if not isinstance(private, dict):
        return False
    last4 = re.compile(r"[0-9A-Za-z]{4}")
    if kind == "health":
        return (
            set(private) == {1, 2, 3, 4}
            and private[1] in COLORS
            and type(private[2]) is int
            and 0 <= private[2] < 2**31
            and text_ok(private[3], 40)
            and isinstance(private[4], str)
            and bool(last4.fullmatch(private[4]))
        )
    if kind == "place":
        colors = private.get(2)
        return (
            {1, 2} <= set(private) <= {1, 2, 3}
            and isinstance(private[1], str)
            and bool(re.fullmatch(r"[0-9A-Za-z_-]{1,16}", private[1]))
            and isinstance(colors, list)
            and bool(colors)
            and colors == [c for c in COLORS if c in colors]
            and (3 not in private or (type(private[3]) is int and 1 <= private[3] <= 720))
        )
    return (
        set(private) == {1, 2}
        and text_ok(private[1], 40)
        and isinstance(private[2], str)
        and bool(last4.fullmatch(private[2]))
    )


def verify(vector: dict[str, Any]) -> dict[str, Any]:
    """SPEC "Verification", step by step; raise Refused(reason)."""
    bundle = load_bundle(vector)
    now, leeway, text = vector["now"], vector["leeway"], vector["code"]
    accept = vector.get("accept", ["health"])
    if now < bundle["issued_at"] - leeway:
        raise Refused("CLOCK_BEHIND")
    if vector["check_freshness"] and now > bundle["issued_at"] + bundle["max_offline_age"]:
        raise Refused("BUNDLE_STALE")
    if len(text) > 4096:
        raise Refused("MALFORMED")
    prefix = text[:5]
    if prefix not in KINDS:
        raise Refused("BAD_PREFIX")
    kind, claim_key, max_life = KINDS[prefix]
    if kind not in accept:
        raise Refused("WRONG_KIND")
    body = text[5:]
    if not re.fullmatch(r"[A-Z2-7]*", body):
        raise Refused("BAD_ENCODING")
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except ValueError:
        raise Refused("BAD_ENCODING") from None
    if base64.b32encode(raw).decode().rstrip("=") != body:
        raise Refused("BAD_ENCODING")  # non-zero trailing bits
    try:
        tagged = cbor2.loads(raw)
        assert tagged.tag == 18 and len(tagged.value) == 4
        protected_bytes, unprotected, payload, _signature = tagged.value
        header = cbor2.loads(protected_bytes)
        assert unprotected == {} and set(header) == {1, 4}
        alg_id, kid = header[1], header[4]
        assert isinstance(kid, bytes) and kid and type(alg_id) is int
    except Exception:
        raise Refused("MALFORMED") from None
    alg = ALGS.get(alg_id)
    if alg not in vector["algorithms"]:
        raise Refused("ALG_NOT_ALLOWED")
    # kid: the bundle's base64url "kid" decodes to the 8 raw bytes of the COSE header.
    candidates = [k for k in bundle["keys"] if b64u(k["kid"]) == kid and k["alg"] == alg]
    if not candidates:
        raise Refused("UNKNOWN_KEY")
    key = next((k for k in candidates if signature_ok(raw, k, kid)), None)
    if key is None:
        raise Refused("BAD_SIGNATURE")
    try:
        claims = cbor2.loads(payload)
    except Exception:
        raise Refused("MALFORMED") from None
    private_keys = [k for k in claims if type(k) is int and k < -65536]
    signed = next((v for v in KINDS.values() if [v[1]] == private_keys), None)
    if signed is not None and signed[0] not in accept:
        raise Refused("WRONG_KIND")
    iat, exp = claims.get(6), claims.get(4)
    if (
        signed is None
        or signed[1] != claim_key
        or set(claims) != {1, 2, 4, 6, 7, claim_key}
        or not (text_ok(claims[1], 64) and text_ok(claims[2], 64))
        or not (type(iat) is int and type(exp) is int and 0 <= iat < exp <= 253402300799)
        or exp - iat > max_life
        or not (isinstance(claims[7], bytes) and 8 <= len(claims[7]) <= 32)
        or not check_private(kind, claims[claim_key])
    ):
        raise Refused("MALFORMED")
    expires = exp if key["not_after"] is None else min(exp, key["not_after"])
    seen = {"kind": kind, "claims": claims, "expires_at": expires, "kid": key["kid"]}
    if iat > now + leeway:
        raise RefusedWith("NOT_YET_VALID", seen)
    if now >= expires + leeway:
        raise RefusedWith("EXPIRED", seen)
    before, _kind = bundle["revoked"].get(revocation_hash(kind, claims[2]), (None, None))
    if before is not None and iat < before:
        raise RefusedWith("REVOKED", seen)
    return seen


def signature_ok(raw: bytes, key: dict[str, Any], kid: bytes) -> bool:
    """Check the signature twice: with pycose (Sign1Message) and with python-cwt (COSE)."""
    jwk = key["jwk"]
    if jwk["kty"] == "EC":
        cose = {1: 2, 3: -7, -1: 1, -2: b64u(jwk["x"]), -3: b64u(jwk["y"]), 2: kid}
    else:
        cose = {1: 1, 3: -8, -1: 6, -2: b64u(jwk["x"]), 2: kid}
    tagged = cbor2.loads(raw)
    protected, unprotected, payload, signature = tagged.value
    message = Sign1Message.from_cose_obj([protected, dict(unprotected), payload, signature], True)
    message.key = CoseKey.from_dict(cose)
    by_pycose = bool(message.verify_signature())
    try:
        by_cwt = COSE.new().decode(raw, COSEKey.new(cose)) == payload
    except Exception:
        by_cwt = False
    assert by_pycose == by_cwt
    return by_pycose


def diagnostic(value: Any) -> Any:
    """The vectors' JSON form of claims: keys as decimal strings, byte strings as h'hex'."""
    if isinstance(value, dict):
        return {str(k): diagnostic(v) for k, v in value.items()}
    if isinstance(value, list):
        return [diagnostic(v) for v in value]
    return f"h'{value.hex()}'" if isinstance(value, bytes) else value


@pytest.mark.parametrize("path", VECTORS, ids=[p.stem for p in VECTORS])
def test_vector_with_third_party_libraries(path: Path) -> None:
    vector = json.loads(path.read_text())
    expected = vector["expected"]
    try:
        seen: dict[str, Any] | None = verify(vector)
        reason = None
    except RefusedWith as exc:
        seen, reason = exc.seen, exc.reason
    except Refused as exc:
        seen, reason = None, exc.reason
    assert reason == expected["reason"]
    assert (seen is None) == (expected["kid"] is None)
    if seen is not None:
        assert (seen["kid"], seen["expires_at"]) == (expected["kid"], expected["expires_at"])
        if vector["format"] != "hcx-vector/1":
            assert (seen["kind"], diagnostic(seen["claims"])) == (
                expected["kind"],
                expected["claims"],
            )
        elif expected["valid"]:
            private = seen["claims"][-65537]
            assert [private[1], private[3], private[4]] == [
                expected["color"],
                expected["holder_name"],
                expected["id_last4"],
            ]


def test_kid_is_sha256_of_spki_first_8_bytes() -> None:
    """SPEC "Key identifiers" worked example: JWK -> SPKI DER -> SHA-256[:8] -> base64url."""
    vector = json.loads((Path(__file__).parent / "vectors" / "place_valid.json").read_text())
    key = next(k for k in load_bundle(vector)["keys"] if k["kid"] == vector["expected"]["kid"])
    public = jwt.PyJWK({**key["jwk"], "alg": key["alg"]}).key
    spki = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    kid = hashlib.sha256(spki).digest()[:8]
    assert base64.urlsafe_b64encode(kid).rstrip(b"=").decode() == key["kid"]


def test_packed_revocations_worked_example() -> None:
    """SPEC "Packed revocations" worked example: the health group of vector
    packed_revoked_health, byte by byte."""
    vector = json.loads(
        (Path(__file__).parent / "vectors" / "packed_revoked_health.json").read_text()
    )
    group = json.loads(b64u(vector["bundle"]["payload"]))["revocations"]["health"]
    assert group == {"before": "wIyKvgaYKgA", "hash": "irGt2TrTRj3EAb3oJptsG9Gjm161lYlg"}
    assert b64u(group["before"]) == bytes.fromhex("c08c8abe06 982a 00")
    assert running_times(b64u(group["before"])) == [1740801600, 1740807000, 1740807000]
    assert hashes(group["hash"]) == [
        revocation_hash("health", sub) for sub in ("p_reissued", "p_revoked", "p_unrevoked")
    ]
    assert revocation_hash("health", "p_revoked").hex() == "c401bde8269b6c1b"


def test_this_file_imports_nothing_from_codes() -> None:
    source = Path(__file__).read_text()
    assert not re.search(r"^\s*(from|import)\s+codes\b", source, re.M)
