"""The pseudonymous subject of a code: a person's random id as 22 base64url characters."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Final

_FROM_URL: Final = bytes.maketrans(b"-_", b"+/")


def subject_of(person_id: uuid.UUID) -> str:
    """The compact `sub` claim for a person (shorter text means a smaller QR code)."""
    return base64.urlsafe_b64encode(person_id.bytes).rstrip(b"=").decode()


def person_of(subject: str) -> uuid.UUID | None:
    """The person id behind a subject, or None when it is not one of ours (what
    base64.urlsafe_b64decode reads, without its wrappers: every online verification asks)."""
    try:
        raw = binascii.a2b_base64(subject.encode("ascii").translate(_FROM_URL) + b"==")
        return uuid.UUID(bytes=raw) if len(raw) == 16 else None
    except (binascii.Error, ValueError):
        return None
