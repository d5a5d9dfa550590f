"""A venue's entry policy (signed into its place code) applied to a verified health code.

Plain values in and out: the device gives the result of verifying a person's health code,
the policy read from the venue's place code, and, when the policy asks for a recent negative
test, the sampling time of a test the staff member saw (offline) or the server found (online).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from codes.claims import PlaceClaims
from codes.kinds import COLORS
from codes.verify import VerificationResult


class EntryReason(StrEnum):
    """Why a valid health code was still refused at the door."""

    COLOR_NOT_ADMITTED = "COLOR_NOT_ADMITTED"
    NO_RECENT_NEGATIVE_TEST = "NO_RECENT_NEGATIVE_TEST"


@dataclass(frozen=True, slots=True)
class EntryPolicy:
    """The colours a venue admits, and optionally a negative test within this many hours."""

    admitted_colors: tuple[str, ...] = ("green",)
    test_within_hours: int | None = None

    def __post_init__(self) -> None:
        if not self.admitted_colors or any(c not in COLORS for c in self.admitted_colors):
            raise ValueError(f"admitted colours must be some of {list(COLORS)}")
        if self.test_within_hours is not None and not 1 <= self.test_within_hours <= 720:
            raise ValueError("test_within_hours must be 1..720")

    @classmethod
    def of(cls, place: PlaceClaims) -> EntryPolicy:
        """The policy a place code carries."""
        return cls(place.admitted_colors, place.test_within_hours)

    def test_since(self, now: datetime) -> datetime | None:
        """The earliest sampling time of a negative test that counts, or None (no test rule)."""
        if self.test_within_hours is None:
            return None
        return now - timedelta(hours=self.test_within_hours)


@dataclass(frozen=True, slots=True)
class EntryDecision:
    """Admit or not; reason is a verification reason or an EntryReason when refused."""

    admit: bool
    reason: str | None
    color: str | None


def decide(
    policy: EntryPolicy,
    result: VerificationResult,
    *,
    now: datetime,
    negative_test_at: datetime | None = None,
) -> EntryDecision:
    """Apply the policy: the code must be valid, of an admitted colour, and (if the policy
    asks) a negative test must have been sampled within the policy's hours before now."""
    if not result.valid:
        reason = None if result.reason is None else str(result.reason)
        return EntryDecision(False, reason, None)
    if result.color not in policy.admitted_colors:
        return EntryDecision(False, EntryReason.COLOR_NOT_ADMITTED, result.color)
    since = policy.test_since(now)
    if since is not None and (negative_test_at is None or not since <= negative_test_at <= now):
        return EntryDecision(False, EntryReason.NO_RECENT_NEGATIVE_TEST, result.color)
    return EntryDecision(True, None, result.color)
