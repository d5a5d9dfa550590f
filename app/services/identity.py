"""ID numbers: validation, normalisation, keyed hashes and birth dates (names: codes.mask_name)."""

from __future__ import annotations

import re
from datetime import date

from app.errors import FieldError, InvalidInput
from app.security.hashing import keyed_hash

_ID_PATTERN = re.compile(r"^[0-9A-Z]{6,32}$")
_PRC_ID = re.compile(r"^\d{17}[\dX]$")
_PRC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_PRC_CHECK = "10X98765432"


def normalize_id_number(raw: str) -> str:
    """Uppercase, strip spaces and dashes; raise InvalidInput when not an ID number."""
    value = re.sub(r"[\s-]", "", raw or "").upper()
    if not _ID_PATTERN.match(value):
        raise InvalidInput(
            "Invalid ID number.",
            [FieldError("/id_number", "Must be 6-32 letters or digits.")],
        )
    if _PRC_ID.match(value):
        total = sum(int(d) * w for d, w in zip(value[:17], _PRC_WEIGHTS, strict=True))
        if _PRC_CHECK[total % 11] != value[17]:
            raise InvalidInput(
                "Invalid ID number.",
                [FieldError("/id_number", "The check digit of this ID number is wrong.")],
            )
    return value


def prc_birth_date(id_number: str) -> date | None:
    """The birth date encoded in an 18-character PRC resident ID, if it is one."""
    if not _PRC_ID.match(id_number):
        return None
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def id_hash(key: str, id_number: str) -> str:
    """The keyed hash used to match an ID number across feeds and profiles."""
    return keyed_hash(key, "id-number", id_number)
