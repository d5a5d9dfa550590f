"""Code subjects: a person's id as 22 base64url characters, and back."""

from __future__ import annotations

import base64
import binascii
import uuid

from hypothesis import given
from hypothesis import strategies as st

from app.services.subjects import person_of, subject_of


def _stdlib_person_of(subject: str) -> uuid.UUID | None:
    """person_of as it was written on the base64 module."""
    try:
        raw = base64.urlsafe_b64decode(subject + "==")
        return uuid.UUID(bytes=raw) if len(raw) == 16 else None
    except (binascii.Error, ValueError):
        return None


@given(st.uuids())
def test_round_trip(person_id: uuid.UUID) -> None:
    subject = subject_of(person_id)
    assert len(subject) == 22 and person_of(subject) == person_id


@given(st.text(alphabet="AQgw09az-_+/=. \x00é", max_size=26))
def test_reads_what_the_stdlib_form_read(subject: str) -> None:
    assert person_of(subject) == _stdlib_person_of(subject)
