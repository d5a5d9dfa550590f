"""Instants for CertLogic: parsing ISO 8601 strings once, offsetting, formatting.

Internally an instant is an integer number of milliseconds since 1970-01-01T00:00:00Z
(CertLogic's resolution: sub-millisecond digits are truncated).
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Final

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MS: Final = timedelta(milliseconds=1)
UNITS: Final = ("year", "month", "day", "hour")
FIXED_UNIT_MS: Final = {"day": 86_400_000, "hour": 3_600_000}
_MIN_MS: Final = (datetime(1, 1, 1, tzinfo=UTC) - EPOCH) // ONE_MS
_MAX_MS: Final = (datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC) - EPOCH) // ONE_MS

_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:T(\d{2}):(\d{2}):(\d{2})(\.\d+?)?(Z|([+-])(\d{1,2}):?(\d{2})?)?)?",
    re.ASCII,
)
_YEAR = re.compile(r"\d{4}", re.ASCII)
_YEAR_MONTH = re.compile(r"(\d{4})-(\d{2})", re.ASCII)


class Instant(int):
    """A CertLogic date-time (result of plusTime): milliseconds since the epoch."""

    __slots__ = ()

    def isoformat(self) -> str:
        """This instant as CertLogic prints it: YYYY-MM-DDThh:mm:ss.sssZ."""
        return iso_ms(self)

    def __repr__(self) -> str:
        return f"Instant({self.isoformat()})"


class DateText(str):
    """An ISO 8601 string in a facts document whose instant was computed once."""

    ms: int


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime (truncating sub-milliseconds)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass a timezone-aware UTC datetime")
    return (moment - EPOCH) // ONE_MS


def from_ms(ms: int) -> datetime:
    """The UTC datetime of a number of milliseconds since the epoch."""
    return EPOCH + timedelta(milliseconds=int(ms))


def iso_ms(ms: int) -> str:
    """Format milliseconds since the epoch as YYYY-MM-DDThh:mm:ss.sssZ."""
    return from_ms(ms).isoformat(timespec="milliseconds")[:-6] + "Z"


def text(moment: datetime) -> DateText:
    """The facts-document string of a datetime, carrying its instant."""
    if moment.tzinfo is not UTC:
        if moment.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware UTC datetime")
        moment = moment.astimezone(UTC)
    value = DateText(moment.isoformat(timespec="milliseconds")[:-6] + "Z")
    value.ms = (moment - EPOCH) // ONE_MS
    return value


@lru_cache(maxsize=65_536)
def parse_ms(value: str) -> int | None:
    """Parse a CertLogic date or date-time string; None if it is not one."""
    match = _DATE_TIME.fullmatch(value)
    try:
        if match is None:
            return _parse_partial(value)
        year, month, day, hour, minute, second, fraction, zone, sign, oh, om = match.groups()
        moment = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError:
        return None
    ms = (moment.replace(tzinfo=UTC) - EPOCH) // ONE_MS
    if fraction:
        ms += int(fraction[1:4].ljust(3, "0"))
    if zone and zone != "Z":
        offset = (int(oh) * 60 + int(om or 0)) * 60_000
        ms = ms - offset if sign == "+" else ms + offset
    return ms


def _parse_partial(value: str) -> int | None:
    """Parse YYYY or YYYY-MM as the last day of that period (as CertLogic's dccDateOfBirth)."""
    if _YEAR.fullmatch(value):
        year, month = int(value), 12
    elif (ym := _YEAR_MONTH.fullmatch(value)) is not None:
        year, month = int(ym.group(1)), int(ym.group(2))
    else:
        return None
    if not (year >= 1 and 1 <= month <= 12):
        return None
    day = calendar.monthrange(year, month)[1]
    return (datetime(year, month, day, tzinfo=UTC) - EPOCH) // ONE_MS


def date_of_birth_ms(value: str) -> int | None:
    """CertLogic's dccDateOfBirth: YYYY, YYYY-MM or YYYY-MM-DD to the end of that period."""
    if len(value) == 10:
        try:
            moment = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            return None
        return (moment - EPOCH) // ONE_MS
    return _parse_partial(value)


def shift(ms: int, amount: int, unit: str) -> int | None:
    """Add an amount of a time unit to an instant; None when out of range.

    Days and hours are fixed durations (UTC: no DST). Months and years keep the time of day
    and clamp the day to the end of a shorter month (31 Jan + 1 month = 28/29 Feb).
    """
    fixed = FIXED_UNIT_MS.get(unit)
    if fixed is not None:
        result = ms + amount * fixed
    else:
        if not _MIN_MS <= ms <= _MAX_MS:
            return None
        moment = from_ms(ms)
        months = moment.year * 12 + moment.month - 1 + (amount * 12 if unit == "year" else amount)
        year, month0 = divmod(months, 12)
        if not 1 <= year <= 9999:
            return None
        day = min(moment.day, calendar.monthrange(year, month0 + 1)[1])
        result = (moment.replace(year=year, month=month0 + 1, day=day) - EPOCH) // ONE_MS
    return result if _MIN_MS <= result <= _MAX_MS else None
