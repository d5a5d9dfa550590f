"""The tables partitioned by week on PostgreSQL, each by its own time column.

`app/services/retention.py` creates their weekly partitions ahead and drops expired ones. On
SQLite they are plain tables. Partitions are not in the metadata: `include_object` hides them
(and the other dialect's constraints) from Alembic's comparison.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

PARTITIONED: Final[dict[str, str]] = {
    "lab_tests": "received_at",
    "stays": "received_at",
    "contact_events": "received_at",
    "checkins": "arrived_at",
}
"""Each partitioned table's partition key: RANGE over this time column, one week a partition."""

PARTITION_NAME: Final = re.compile(rf"^(?:{'|'.join(PARTITIONED)})_(?:p\d{{8}}|default)$")
"""A weekly partition (`<table>_p<Monday YYYYMMDD>`) or the DEFAULT partition."""


def include_object(dialect: str) -> Callable[[Any, str | None, str, bool, Any], bool]:
    """Alembic's object filter for `dialect`: partitions, and the other dialect's constraints,
    are not compared."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, _compare_to: Any) -> bool:
        if type_ == "table" and reflected and name and PARTITION_NAME.match(name):
            return False
        only = getattr(obj, "_ddl_if", None)
        return reflected or only is None or only.dialect in (None, dialect)

    return include
