"""Marshmallow fields whose OpenAPI description states their real constraints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import marshmallow as ma

from app.timestamps import DESCRIPTION, PATTERN, parse_rfc3339


class Timestamp(ma.fields.Field):  # type: ignore[type-arg]
    """An RFC 3339 date-time with an offset (in: strict; out: ISO 8601 in UTC)."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"type": "string", "format": "date-time", "pattern": PATTERN}
        metadata["description"] = DESCRIPTION
        super().__init__(metadata=metadata | kwargs.pop("metadata", {}), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        try:
            return parse_rfc3339(value)
        except ValueError as exc:
            raise ma.ValidationError(f"Not a valid date-time: it {exc}.") from None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else value.isoformat()
