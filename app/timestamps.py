"""RFC 3339 timestamps, the only date-time form the API accepts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

EARLIEST_YEAR = 2000
LATEST_YEAR = 2999
PATTERN = r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
DESCRIPTION = (
    f"RFC 3339 date-time with an offset (Z or +hh:mm), years {EARLIEST_YEAR}-{LATEST_YEAR}, "
    "e.g. 2026-11-20T08:00:00Z."
)
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)


def parse_rfc3339(value: object) -> datetime:
    """An aware UTC datetime from an RFC 3339 string, or ValueError saying what is wrong.

    Refused: basic format (20260101T000000Z), week and ordinal dates, a missing offset,
    offsets beyond +-23:59 or with seconds, leap seconds, trailing characters, years outside
    EARLIEST_YEAR..LATEST_YEAR. Fractions beyond microseconds are truncated.
    """
    match = _RFC3339.fullmatch(value) if isinstance(value, str) and len(value) <= 40 else None
    if match is None:
        raise ValueError("must be an RFC 3339 date-time with an offset, e.g. 2026-11-20T08:00:00Z")
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    fraction, zulu, sign, off_h, off_m = match.group(7, 8, 9, 10, 11)
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ValueError(f"year must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    if zulu:
        tz = UTC
    else:
        hours, minutes = int(off_h), int(off_m)
        if hours > 23 or minutes > 59:
            raise ValueError("has an offset out of range (at most +-23:59)")
        offset = timedelta(hours=hours, minutes=minutes)
        tz = timezone(-offset if sign == "-" else offset)
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        moment = datetime(year, month, day, hour, minute, second, micros, tzinfo=tz)
    except ValueError:
        raise ValueError("is not a real calendar date and time") from None
    return moment.astimezone(UTC)
