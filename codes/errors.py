"""The single exception tree of the codes package, and the stable verification reasons."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from codes.verify import VerifiedCode


class Reason(StrEnum):
    """Stable machine-readable reason why a code did not verify."""

    MALFORMED = "MALFORMED"
    BAD_PREFIX = "BAD_PREFIX"
    BAD_ENCODING = "BAD_ENCODING"
    UNKNOWN_KEY = "UNKNOWN_KEY"
    ALG_NOT_ALLOWED = "ALG_NOT_ALLOWED"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    REVOKED = "REVOKED"
    BUNDLE_STALE = "BUNDLE_STALE"
    CLOCK_BEHIND = "CLOCK_BEHIND"
    WRONG_KIND = "WRONG_KIND"


class CodesError(Exception):
    """Root of every error raised by the codes package."""


class CborError(CodesError, ValueError):
    """Input is not the strict CBOR subset this package accepts."""


class IssueError(CodesError):
    """Claims or key cannot produce a valid code."""


class KeyFormatError(CodesError):
    """A key (JWK, PEM, passphrase) could not be loaded or is of an unsupported type."""


class VerificationError(CodesError):
    """A code did not verify; `.reason` says why."""

    reason: ClassVar[Reason] = Reason.MALFORMED

    def __init__(self, message: str, *, code: VerifiedCode | None = None) -> None:
        super().__init__(message)
        self.code = code


class MalformedCode(VerificationError):
    """Input too large, or the CBOR/COSE/claims structure is wrong."""

    reason = Reason.MALFORMED


class BadPrefix(VerificationError):
    """The text does not start with the expected context prefix."""

    reason = Reason.BAD_PREFIX


class BadEncoding(VerificationError):
    """The text after the prefix is not canonical unpadded upper-case base32."""

    reason = Reason.BAD_ENCODING


class UnknownKey(VerificationError):
    """No trusted key has the code's kid (and algorithm)."""

    reason = Reason.UNKNOWN_KEY


class AlgorithmNotAllowed(VerificationError):
    """The header's algorithm is not in the verifier's allow-list."""

    reason = Reason.ALG_NOT_ALLOWED


class BadSignature(VerificationError):
    """No candidate key verifies the signature."""

    reason = Reason.BAD_SIGNATURE


class CodeExpired(VerificationError):
    """The code (or its signing key) expired."""

    reason = Reason.EXPIRED


class CodeNotYetValid(VerificationError):
    """The code's iat lies in the future beyond the leeway."""

    reason = Reason.NOT_YET_VALID


class CodeRevoked(VerificationError):
    """A revocation entry withdraws this code."""

    reason = Reason.REVOKED


class BundleStale(VerificationError):
    """The trust bundle is older than its max_offline_age."""

    reason = Reason.BUNDLE_STALE


class ClockBehind(VerificationError):
    """The device clock is earlier than the bundle's signed issued_at."""

    reason = Reason.CLOCK_BEHIND


class WrongKind(VerificationError):
    """The code is of a kind (place, pass, ...) this verifier does not accept."""

    reason = Reason.WRONG_KIND


class BundleError(CodesError):
    """A trust bundle or delta document cannot be accepted."""


class BundleFormatError(BundleError):
    """The bundle document is not well formed."""


class BundleSignatureError(BundleError):
    """The bundle signature does not verify against the pinned root key."""


class BundleRollbackError(BundleError):
    """The bundle's seq is lower than the one already held."""


class BundleDeltaMismatchError(BundleError):
    """The delta's base_seq is not the held bundle's seq; fetch a full bundle."""


class ImageError(CodesError):
    """A QR image could not be read."""


class NotAnImageError(ImageError):
    """The bytes are not a supported image."""


class ImageTooLargeError(ImageError):
    """The image exceeds the byte or pixel cap."""


class NoCodeFoundError(ImageError):
    """No QR code was found in the image."""
