"""The pseudonymous subject of a code: a person's random id as 22 base64url characters."""

from __future__ import annotations

import base64
import binascii
import uuid


def subject_of(person_id: uuid.UUID) -> str:
    """The compact `sub` claim for a person (shorter text means a smaller QR code)."""
    return base64.urlsafe_b64encode(person_id.bytes).rstrip(b"=").decode()


def person_of(subject: str) -> uuid.UUID | None:
    """The person id behind a subject, or None when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(subject + "==")
        return uuid.UUID(bytes=raw) if len(raw) == 16 else None
    except (binascii.Error, ValueError):
        return None
