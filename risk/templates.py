"""A tiny, safe template language for reason texts: ``{field}`` or ``{field:date}``.

Fields are named, never evaluated: ``record.<field>`` (rules with ``for_each``), ``since``,
``until`` and ``now``. Formats: none (the value as is), ``date`` (YYYY-MM-DD) and ``datetime``
(YYYY-MM-DD hh:mm UTC). ``{{`` and ``}}`` stand for literal braces. A missing value renders
as an em dash.
"""

from __future__ import annotations

import string
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from risk.dates import DateText, from_ms, parse_ms

FORMATS: Final = ("", "date", "datetime")
MISSING: Final = "\u2014"
MAX_LENGTH: Final = 1_000
TIME_FIELDS: Final = frozenset({"since", "until", "now"})

Part = tuple[str, str | None, str | None, str]


class Template:
    """A parsed template: literal text and named fields."""

    __slots__ = ("parts", "source")

    def __init__(self, source: str, parts: list[Part]) -> None:
        self.source = source
        self.parts = parts

    def render(self, values: Mapping[str, Any]) -> str:
        """Fill the fields from ``values`` (``record``: a record document; times: datetimes)."""
        out: list[str] = []
        for literal, head, tail, fmt in self.parts:
            out.append(literal)
            if head is None:
                continue
            value = values.get(head)
            if tail is not None:
                value = value.get(tail) if isinstance(value, dict) else None
            out.append(_format(value, fmt))
        return "".join(out)


def _format(value: Any, fmt: str) -> str:
    """Format one field value."""
    if value is None:
        return MISSING
    if type(value) is DateText and fmt:
        # Canonical UTC text (YYYY-MM-DDThh:mm:ss.sssZ): slice instead of parsing.
        return value[:10] if fmt == "date" else f"{value[:10]} {value[11:16]} UTC"
    if isinstance(value, str) and fmt:
        ms = parse_ms(value)
        if ms is None:
            return value
        value = from_ms(ms)
    if isinstance(value, datetime):
        moment = value.astimezone(UTC)
        iso = moment.isoformat(timespec="milliseconds")
        if fmt == "date":
            return iso[:10]
        if fmt == "datetime":
            return f"{iso[:10]} {iso[11:16]} UTC"
        return iso[:-6] + "Z"
    return str(value)


def parse_template(
    source: Any, record_fields: Collection[str]
) -> tuple[Template | None, list[str]]:
    """Parse a template allowing ``record.<f>`` for f in record_fields: (template, problems)."""
    if type(source) is not str:
        return None, ["must be a string"]
    if not source.strip():
        return None, ["must not be empty"]
    if len(source) > MAX_LENGTH:
        return None, [f"longer than {MAX_LENGTH} characters"]
    try:
        pieces = list(string.Formatter().parse(source))
    except ValueError as exc:
        return None, [f"bad braces: {exc}"]
    problems: list[str] = []
    parts: list[Part] = []
    for literal, name, spec, conversion in pieces:
        if name is None:
            parts.append((literal, None, None, ""))
            continue
        fmt = spec or ""
        if conversion:
            problems.append(f"placeholder {{{name}}}: conversions (!{conversion}) are not allowed")
        if fmt not in FORMATS:
            problems.append(
                f"placeholder {{{name}}}: unknown format {fmt!r} (use date or datetime)"
            )
        head, _, tail = name.partition(".")
        if name in TIME_FIELDS:
            parts.append((literal, name, None, fmt))
        elif head == "record" and tail in record_fields:
            parts.append((literal, head, tail, fmt))
        else:
            allowed = sorted({*TIME_FIELDS, *(f"record.{f}" for f in record_fields)})
            problems.append(f"unknown placeholder {{{name}}} (allowed: {', '.join(allowed)})")
    return (None, problems) if problems else (Template(source, parts), [])
