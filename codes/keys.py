"""Signing and verification keys (ES256 / EdDSA): kid, JWK, PEM, encrypted PKCS#8."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from codes.b64 import b64u_decode, b64u_encode
from codes.errors import KeyFormatError

ES256: Final = "ES256"
EDDSA: Final = "EdDSA"
ALGORITHMS: Final = (ES256, EDDSA)
COSE_ALG_IDS: Final = {ES256: -7, EDDSA: -8}
COSE_ALG_NAMES: Final = {v: k for k, v in COSE_ALG_IDS.items()}

_ECDSA: Final = ec.ECDSA(hashes.SHA256())

PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def _alg_of(key: PublicKey) -> str:
    if isinstance(key, ed25519.Ed25519PublicKey):
        return EDDSA
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return ES256
    raise KeyFormatError("only P-256 (ES256) and Ed25519 (EdDSA) keys are supported")


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.utcoffset() is None:
        raise ValueError("not_after must be timezone-aware")
    return value


def _verifier(public_key: PublicKey) -> Callable[[bytes, bytes], None]:
    """verify(signature, message) for a raw COSE/JWS signature; raises InvalidSignature."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        verify_der = public_key.verify

        def verify_raw(signature: bytes, message: bytes) -> None:
            verify_der(der_signature(signature), message, _ECDSA)

        return verify_raw
    return public_key.verify


def _der_integer(unsigned: bytes) -> bytes:
    """A DER INTEGER of a big-endian unsigned value: minimal, with a 0 byte before a set top bit."""
    digits = unsigned.lstrip(b"\0") or b"\0"
    if digits[0] & 0x80:
        digits = b"\0" + digits
    return b"\x02" + bytes((len(digits),)) + digits


def der_signature(raw: bytes) -> bytes:
    """The DER ECDSA-Sig-Value of r||s (32 bytes each), byte for byte what cryptography's
    encode_dss_signature writes; built from the bytes, without going through ints."""
    body = _der_integer(raw[:32]) + _der_integer(raw[32:])
    return b"\x30" + bytes((len(body),)) + body


def raw_signature(der: bytes) -> bytes:
    """r||s (32 bytes each) of a DER ECDSA-Sig-Value as OpenSSL writes it for P-256: a
    SEQUENCE with a short length holding two minimal INTEGERs of 1 to 33 bytes."""
    r_end = 4 + der[3]
    r, s = der[4:r_end], der[r_end + 2 :]
    return r[-32:].rjust(32, b"\0") + s[-32:].rjust(32, b"\0")


def _signer(private_key: PrivateKey) -> Callable[[bytes], bytes]:
    """sign(message) returning the raw COSE/JWS signature (r||s for ES256)."""
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        sign_der = private_key.sign
        return lambda message: raw_signature(sign_der(message, _ECDSA))
    return private_key.sign


def compute_kid(public_key: PublicKey) -> bytes:
    """Key id: first 8 bytes of SHA-256 over the DER SubjectPublicKeyInfo."""
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).digest()[:8]


class VerificationKey:
    """A trusted public key with its kid, algorithm and optional not_after."""

    __slots__ = ("_kid_b64", "_verify", "alg", "kid", "not_after", "public_key")

    def __init__(
        self,
        public_key: PublicKey,
        *,
        kid: bytes | None = None,
        not_after: datetime | None = None,
    ) -> None:
        self.public_key = public_key
        self.alg = _alg_of(public_key)
        self._verify = _verifier(public_key)
        self.kid = compute_kid(public_key) if kid is None else bytes(kid)
        self.not_after = _aware(not_after)
        self._kid_b64 = b64u_encode(self.kid)

    @property
    def kid_b64(self) -> str:
        """The kid as unpadded base64url."""
        return self._kid_b64

    def __repr__(self) -> str:
        return (
            f"VerificationKey(alg={self.alg!r}, kid={self.kid_b64!r}, not_after={self.not_after!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VerificationKey):
            return NotImplemented
        return (self.kid, self.not_after, self.public_jwk()) == (
            other.kid,
            other.not_after,
            other.public_jwk(),
        )

    def __hash__(self) -> int:
        return hash((self.kid, self.alg))

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True when signature (COSE raw form) is valid for message."""
        if len(signature) != 64:
            return False
        try:
            self._verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def public_jwk(self) -> dict[str, str]:
        """The public key as an RFC 7517 JWK with kid and alg."""
        if isinstance(self.public_key, ec.EllipticCurvePublicKey):
            nums = self.public_key.public_numbers()
            return {
                "kty": "EC",
                "crv": "P-256",
                "x": b64u_encode(nums.x.to_bytes(32, "big")),
                "y": b64u_encode(nums.y.to_bytes(32, "big")),
                "kid": self.kid_b64,
                "alg": ES256,
            }
        raw = self.public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64u_encode(raw),
            "kid": self.kid_b64,
            "alg": EDDSA,
        }

    def public_pem(self) -> bytes:
        """The public key as PEM SubjectPublicKeyInfo."""
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @classmethod
    def from_jwk(
        cls, jwk: Any, *, kid: bytes | None = None, not_after: datetime | None = None
    ) -> VerificationKey:
        """Load an EC P-256 or OKP Ed25519 public JWK; the kid defaults to the computed one."""
        try:
            public_key = _public_from_jwk(jwk)
        except (ValueError, TypeError, KeyError) as exc:
            raise KeyFormatError(f"invalid JWK: {exc}") from exc
        return cls(public_key, kid=kid, not_after=not_after)

    @classmethod
    def from_pem(
        cls, data: bytes, *, kid: bytes | None = None, not_after: datetime | None = None
    ) -> VerificationKey:
        """Load a PEM SubjectPublicKeyInfo public key."""
        try:
            public_key = serialization.load_pem_public_key(data)
        except (ValueError, TypeError) as exc:
            raise KeyFormatError("invalid PEM public key") from exc
        if not isinstance(public_key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
            raise KeyFormatError("only P-256 (ES256) and Ed25519 (EdDSA) keys are supported")
        return cls(public_key, kid=kid, not_after=not_after)


def _public_from_jwk(jwk: Any) -> PublicKey:
    if not isinstance(jwk, dict):
        raise TypeError("JWK must be an object")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "EC" and crv == "P-256":
        x, y = b64u_decode(jwk["x"]), b64u_decode(jwk["y"])
        if len(x) != 32 or len(y) != 32:
            raise ValueError("P-256 coordinates must be 32 bytes")
        nums = ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
        )
        return nums.public_key()
    if kty == "OKP" and crv == "Ed25519":
        x = b64u_decode(jwk["x"])
        if len(x) != 32:
            raise ValueError("Ed25519 key must be 32 bytes")
        return ed25519.Ed25519PublicKey.from_public_bytes(x)
    raise ValueError("unsupported kty/crv")


class SigningKey:
    """A private signing key; its material never appears in repr/str."""

    __slots__ = ("_private", "_sign", "_verification", "alg", "kid", "not_after")

    def __init__(self, private_key: PrivateKey, *, not_after: datetime | None = None) -> None:
        if not isinstance(private_key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
            raise KeyFormatError("only P-256 (ES256) and Ed25519 (EdDSA) keys are supported")
        self._private = private_key
        self._sign = _signer(private_key)
        self._verification = VerificationKey(private_key.public_key(), not_after=not_after)
        self.alg = self._verification.alg
        self.kid = self._verification.kid
        self.not_after = _aware(not_after)

    @classmethod
    def generate(cls, alg: str = ES256, *, not_after: datetime | None = None) -> SigningKey:
        """Generate a new ES256 (P-256) or EdDSA (Ed25519) key."""
        if alg == ES256:
            return cls(ec.generate_private_key(ec.SECP256R1()), not_after=not_after)
        if alg == EDDSA:
            return cls(ed25519.Ed25519PrivateKey.generate(), not_after=not_after)
        raise KeyFormatError(f"unsupported algorithm {alg!r}")

    @classmethod
    def from_encrypted_pem(
        cls, data: bytes, passphrase: bytes, *, not_after: datetime | None = None
    ) -> SigningKey:
        """Load a passphrase-encrypted PKCS#8 PEM private key."""
        try:
            private_key = serialization.load_pem_private_key(data, password=passphrase)
        except (ValueError, TypeError) as exc:
            raise KeyFormatError("cannot load private key (wrong passphrase or format)") from exc
        if not isinstance(private_key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
            raise KeyFormatError("only P-256 (ES256) and Ed25519 (EdDSA) keys are supported")
        return cls(private_key, not_after=not_after)

    def to_encrypted_pem(self, passphrase: bytes) -> bytes:
        """Serialise as PKCS#8 PEM encrypted with the passphrase (BestAvailableEncryption)."""
        if not passphrase:
            raise KeyFormatError("a non-empty passphrase is required")
        return self._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase),
        )

    @property
    def kid_b64(self) -> str:
        """The kid as unpadded base64url."""
        return b64u_encode(self.kid)

    def verification_key(self) -> VerificationKey:
        """The matching public VerificationKey (same kid and not_after)."""
        return self._verification

    def public_jwk(self) -> dict[str, str]:
        """The public key as an RFC 7517 JWK."""
        return self._verification.public_jwk()

    def public_pem(self) -> bytes:
        """The public key as PEM SubjectPublicKeyInfo."""
        return self._verification.public_pem()

    def sign(self, message: bytes) -> bytes:
        """Sign message; return the raw COSE/JWS signature (r||s for ES256)."""
        return self._sign(message)

    def __repr__(self) -> str:
        return f"SigningKey(alg={self.alg!r}, kid={self.kid_b64!r}, not_after={self.not_after!r})"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("SigningKey cannot be pickled; use to_encrypted_pem")
