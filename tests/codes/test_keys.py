"""Keys: kid, JWK and PEM forms, encrypted private keys, no secrets in repr."""

from __future__ import annotations

import hashlib
import pickle
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from codes import KeyFormatError, SigningKey, VerificationKey
from codes.b64 import b64u_decode
from codes.keys import der_signature, raw_signature

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_kid_is_sha256_of_spki_prefix(alg: str) -> None:
    key = SigningKey.generate(alg)
    spki = serialization.load_pem_public_key(key.public_pem()).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert key.kid == hashlib.sha256(spki).digest()[:8]
    assert b64u_decode(key.kid_b64) == key.kid


def test_jwk_shapes(es_key: SigningKey, ed_key: SigningKey) -> None:
    ec_jwk = es_key.public_jwk()
    assert (ec_jwk["kty"], ec_jwk["crv"], ec_jwk["alg"]) == ("EC", "P-256", "ES256")
    assert len(b64u_decode(ec_jwk["x"])) == 32 and len(b64u_decode(ec_jwk["y"])) == 32
    ok_jwk = ed_key.public_jwk()
    assert (ok_jwk["kty"], ok_jwk["crv"], ok_jwk["alg"]) == ("OKP", "Ed25519", "EdDSA")
    assert "y" not in ok_jwk and "d" not in ok_jwk and "d" not in ec_jwk


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_public_key_round_trips_through_jwk_and_pem(alg: str) -> None:
    key = SigningKey.generate(alg)
    from_jwk = VerificationKey.from_jwk(key.public_jwk())
    from_pem = VerificationKey.from_pem(key.public_pem())
    message = b"hello"
    signature = key.sign(message)
    assert len(signature) == 64
    for loaded in (from_jwk, from_pem):
        assert loaded.kid == key.kid and loaded.alg == alg
        assert loaded.verify(message, signature)
        assert not loaded.verify(message + b"!", signature)


@pytest.mark.parametrize(
    ("r", "s"),
    [
        (1, P256_ORDER - 1),  # 1-byte and 33-byte (top bit set) INTEGERs
        (2**255, 2**248 - 1),  # 33 and 31 bytes
        (2**247, 2**255 - 1),  # 31 and 32 bytes
        (0x80, 0x7F),
    ],
)
def test_raw_signature_from_der(r: int, s: int) -> None:
    expected = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert raw_signature(encode_dss_signature(r, s)) == expected


@pytest.mark.parametrize(
    ("r", "s"),
    [
        (1, P256_ORDER - 1),
        (2**255, 2**248 - 1),
        (2**247, 2**255 - 1),
        (0x80, 0x7F),
        (0, 2**256 - 1),
    ],
)
def test_der_signature_is_encode_dss_signature(r: int, s: int) -> None:
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert der_signature(raw) == encode_dss_signature(r, s)


def test_es256_signatures_are_r_and_s_of_openssl_der(es_key: SigningKey) -> None:
    public = es_key.verification_key().public_key
    assert isinstance(public, ec.EllipticCurvePublicKey)
    for i in range(300):  # about one r or s in 256 is shorter than 32 bytes
        message = b"m%d" % i
        signature = es_key.sign(message)
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        public.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_each_key_signs_and_verifies_with_its_own_material(alg: str) -> None:
    """Signing and verifying functions are bound per key: interleaved use never mixes keys."""
    first, second = SigningKey.generate(alg), SigningKey.generate(alg)
    for _ in range(3):
        for key, other in ((first, second), (second, first)):
            signature = key.sign(b"message")
            assert key.verification_key().verify(b"message", signature)
            assert not other.verification_key().verify(b"message", signature)
            # the same public key under another kid still verifies: the kid is only a label
            relabelled = VerificationKey(key.verification_key().public_key, kid=other.kid)
            assert relabelled.verify(b"message", signature)


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"},
        {"kty": "EC", "crv": "P-384", "x": "", "y": ""},
        {"kty": "OKP", "crv": "X25519", "x": "A" * 43},
        {"kty": "RSA"},
        "not a dict",
    ],
)
def test_bad_jwk_refused(jwk: object) -> None:
    with pytest.raises(KeyFormatError):
        VerificationKey.from_jwk(jwk)


def test_point_not_on_curve_refused(es_key: SigningKey) -> None:
    jwk = dict(es_key.public_jwk())
    jwk["y"] = jwk["x"]
    with pytest.raises(KeyFormatError):
        VerificationKey.from_jwk(jwk)


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_encrypted_pem_round_trip(alg: str) -> None:
    key = SigningKey.generate(alg)
    pem = key.to_encrypted_pem(b"correct horse")
    assert b"ENCRYPTED PRIVATE KEY" in pem
    loaded = SigningKey.from_encrypted_pem(pem, b"correct horse")
    assert loaded.kid == key.kid
    assert key.verification_key().verify(b"m", loaded.sign(b"m"))
    with pytest.raises(KeyFormatError):
        SigningKey.from_encrypted_pem(pem, b"wrong")
    with pytest.raises(KeyFormatError):
        key.to_encrypted_pem(b"")


def test_no_private_material_in_repr_or_pickle(es_key: SigningKey) -> None:
    private = es_key._private.private_numbers().private_value  # type: ignore[union-attr]
    pem = es_key._private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    for text in (repr(es_key), str(es_key), repr([es_key]), f"{es_key}"):
        assert str(private) not in text and hex(private)[2:] not in text
        assert pem.decode() not in text and "PRIVATE" not in text
        assert es_key.kid_b64 in text
    with pytest.raises(TypeError):
        pickle.dumps(es_key)


def test_not_after_must_be_aware() -> None:
    with pytest.raises(ValueError):
        SigningKey.generate("ES256", not_after=datetime(2030, 1, 1))
    key = SigningKey.generate("ES256", not_after=datetime(2030, 1, 1, tzinfo=UTC))
    assert key.verification_key().not_after == key.not_after


def test_unsupported_algorithm() -> None:
    with pytest.raises(KeyFormatError):
        SigningKey.generate("RS256")
