"""Risk colours and their severity order."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from risk.errors import RiskError


class Color(StrEnum):
    """A risk colour (its value is what rule sets, codes and the API spell)."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


COLORS: Final = tuple(Color)
"""Every colour, from least to most severe."""

_SEVERITY: Final[dict[str, int]] = {color: rank for rank, color in enumerate(COLORS)}


def severity(color: str) -> int:
    """The rank of a colour: green 0 < yellow 1 < red 2."""
    try:
        return _SEVERITY[color]
    except KeyError:
        raise RiskError(f"unknown colour {color!r} (expected one of {', '.join(COLORS)})") from None
