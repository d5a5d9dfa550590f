"""Code kinds as data: context prefix, private claim key, claim schema, maximum lifetime.

Every kind shares the registered CWT claims (iss, sub, iat, exp, cti) and adds exactly one
private-use claim (a map) under its own key. That key is inside the signed payload, so the
kind is authenticated: changing the (unsigned) text prefix of a place code to `HCX1:` gives
a health-code text whose signed claims still say "place" and the verifier refuses it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from dataclasses import field as derived
from datetime import timedelta
from enum import StrEnum
from typing import Final


class KindName(StrEnum):
    """Stable names of the code kinds (used in the trust bundle's revocation entries)."""

    HEALTH = "health"
    PLACE = "place"
    PASS = "pass"  # noqa: S105 (a kind name, not a password)


class FieldType(StrEnum):
    """Value types a private claim field can have."""

    TEXT = "text"
    UINT = "uint"
    TEXT_SET = "text_set"  # array of distinct text items from `choices`, in `choices` order


@dataclass(frozen=True, slots=True)
class Field:
    """One entry of a kind's private claim map."""

    key: int
    name: str
    type: FieldType
    required: bool = True
    max_bytes: int | None = None  # text: limit in UTF-8 bytes
    pattern: str | None = None  # text: full-match regular expression (ASCII)
    choices: tuple[str, ...] = ()  # text / text_set: allowed values, canonical order
    min_value: int = 0  # uint
    max_value: int = 2**31 - 1  # uint
    regex: re.Pattern[str] | None = derived(init=False, repr=False, compare=False)  # of pattern

    def __post_init__(self) -> None:
        regex = None if self.pattern is None else re.compile(self.pattern, re.ASCII)
        object.__setattr__(self, "regex", regex)


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of code: how it is written, what it claims, how long it may live."""

    name: KindName
    prefix: str
    claim_key: int
    fields: tuple[Field, ...]
    max_lifetime: timedelta
    # Derived from the above, for the claims checks.
    field_keys: frozenset[int] = derived(init=False, repr=False, compare=False)
    required_keys: frozenset[int] = derived(init=False, repr=False, compare=False)
    max_lifetime_seconds: float = derived(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Claims maps are written in RFC 8949 core deterministic order without sorting: the
        # registered keys (1..7), then this kind's key (a negative key sorts after them),
        # and inside it the fields, whose one-byte keys must ascend.
        keys = [f.key for f in self.fields]
        ascending = keys == sorted(set(keys)) and all(0 <= k <= 23 for k in keys)
        if self.claim_key >= -65536 or not ascending:
            raise ValueError(f"{self.name}: need a key below -65536, field keys 0..23 ascending")
        object.__setattr__(self, "field_keys", frozenset(keys))
        object.__setattr__(
            self, "required_keys", frozenset(f.key for f in self.fields if f.required)
        )
        object.__setattr__(self, "max_lifetime_seconds", self.max_lifetime.total_seconds())

    def field(self, name: str) -> Field:
        """The field called name."""
        return next(f for f in self.fields if f.name == name)


COLORS: Final = ("green", "yellow", "red")
MAX_TEXT_CLAIM: Final = 64  # iss, sub: UTF-8 bytes
MAX_NAME_BYTES: Final = 40  # masked holder name: UTF-8 bytes
LAST4_PATTERN: Final = r"[0-9A-Za-z]{4}"
REGION_PATTERN: Final = r"[0-9A-Za-z_-]{1,16}"

HEALTH: Final = Kind(
    name=KindName.HEALTH,
    prefix="HCX1:",
    claim_key=-65537,
    fields=(
        Field(1, "color", FieldType.TEXT, choices=COLORS),
        Field(2, "ruleset_version", FieldType.UINT),
        Field(3, "holder_name", FieldType.TEXT, max_bytes=MAX_NAME_BYTES),
        Field(4, "id_last4", FieldType.TEXT, pattern=LAST4_PATTERN),
    ),
    max_lifetime=timedelta(days=7),
)

PLACE: Final = Kind(
    name=KindName.PLACE,
    prefix="HCP1:",
    claim_key=-65538,
    fields=(
        Field(1, "region", FieldType.TEXT, pattern=REGION_PATTERN),
        Field(2, "admitted_colors", FieldType.TEXT_SET, choices=COLORS),
        Field(3, "test_within_hours", FieldType.UINT, required=False, min_value=1, max_value=720),
    ),
    max_lifetime=timedelta(days=366),
)

PASS: Final = Kind(
    name=KindName.PASS,
    prefix="HCR1:",
    claim_key=-65539,
    fields=(
        Field(1, "holder_name", FieldType.TEXT, max_bytes=MAX_NAME_BYTES),
        Field(2, "id_last4", FieldType.TEXT, pattern=LAST4_PATTERN),
    ),
    max_lifetime=timedelta(days=731),
)


class KindRegistry:
    """The known kinds, looked up by name, text prefix or private claim key."""

    def __init__(self, kinds: Iterable[Kind]) -> None:
        self._kinds = tuple(kinds)
        for attr in ("name", "prefix", "claim_key"):
            if len({getattr(k, attr) for k in self._kinds}) != len(self._kinds):
                raise ValueError(f"two kinds share a {attr}")
        prefixes = [k.prefix for k in self._kinds]
        if any(a != b and b.startswith(a) for a in prefixes for b in prefixes):
            raise ValueError("one kind's prefix starts another's")
        # At most one prefix starts any text: look each prefix length up.
        self._by_prefix = {k.prefix: k for k in self._kinds}
        self._by_claim_key = {k.claim_key: k for k in self._kinds}
        self._prefix_lengths = tuple(sorted({len(p) for p in prefixes}))

    def __iter__(self) -> Iterator[Kind]:
        return iter(self._kinds)

    def by_name(self, name: str) -> Kind | None:
        """The kind called name, if known."""
        return next((k for k in self._kinds if k.name == name), None)

    def by_text(self, text: str) -> Kind | None:
        """The kind whose prefix starts text, if any."""
        for length in self._prefix_lengths:
            kind = self._by_prefix.get(text[:length])
            if kind is not None:
                return kind
        return None

    def by_claim_key(self, key: object) -> Kind | None:
        """The kind whose private claim key is key, if any."""
        if type(key) is int:
            return self._by_claim_key.get(key)
        return next((k for k in self._kinds if k.claim_key == key), None)


KINDS: Final = KindRegistry((HEALTH, PLACE, PASS))
