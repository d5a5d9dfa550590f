"""Running a rule set's columnar query (``risk.columnar``) over the people a job selects.

The query's input relations are session-private temporary tables filled from the feed tables
for the selected people (dates as milliseconds), so one chunk's inputs serve every rule set it
is evaluated with (a dry run compares two).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    case,
    cast,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session

from app.feed_kinds import FEEDS
from app.models import Person, PersonStatus, RegionLevel
from risk import COLORS, RuleSet
from risk.columnar import colour_of, columnar_query
from risk.dates import from_ms
from risk.errors import ColumnarUnsupported

Where = Callable[[Any], Any]
_meta = MetaData()


def _temp(name: str, *columns: Column[Any]) -> Table:
    return Table(name, _meta, *columns, prefixes=["TEMPORARY"], postgresql_on_commit="DROP")


PEOPLE = _temp("hc_people", Column("person_id", Uuid, primary_key=True))
TESTS = _temp(
    "hc_tests",
    Column("person_id", Uuid),
    Column("record_id", String(100)),
    Column("kind", String(10)),
    Column("result", String(10)),
    Column("sampled_at", BigInteger),
)
STAYS = _temp(
    "hc_stays",
    Column("person_id", Uuid),
    Column("stay_id", Uuid),
    Column("record_id", String(100)),
    Column("region_code", String(40)),
    Column("arrived_at", BigInteger),
    Column("departed_at", BigInteger),
)
LEVELS = _temp(
    "hc_levels",
    Column("stay_id", Uuid),
    Column("level", String(10)),
    Column("level_from", BigInteger),
    Column("level_until", BigInteger),
)
# built once the rows are in (faster than growing them row by row)
INDEXED = (
    ("hc_tests", "person_id"),
    ("hc_stays", "person_id"),
    ("hc_levels", "stay_id"),
    ("hc_contacts", "person_id"),
)
CONTACTS = _temp(
    "hc_contacts",
    Column("person_id", Uuid),
    Column("record_id", String(100)),
    Column("kind", String(10)),
    Column("exposed_at", BigInteger),
    Column("place", String(200)),
)


@dataclass(frozen=True)
class Result:
    """One person's colour and exact valid_until, from the columnar query; from `changed`,
    also when the stored status it differs from was computed (None: nothing stored)."""

    color: str
    valid_until: datetime | None
    stored_at: datetime | None = None


def _ms(session: Session, column: Any) -> ColumnElement[int]:
    """Milliseconds since the epoch of a timestamp column (sub-milliseconds truncated)."""
    if session.get_bind().dialect.name == "postgresql":
        # date_part is a float8 (extract's numeric is 3x slower); timestamps are whole
        # microseconds, so their ms value is a multiple of 0.001 and the float error stays below
        # 0.0003 ms at today's epochs: + 0.0005 then floor gives the exact milliseconds
        epoch = func.date_part("epoch", column)
        return cast(func.floor(epoch * 1000 + literal_column("0.0005")), BigInteger)
    seconds = cast(func.strftime("%s", func.substr(column, 1, 19)), BigInteger)
    return seconds * 1000 + cast(func.substr(column, 21, 3), Integer)


def _periods(session: Session) -> Any:
    """Each region's level periods (from, until in ms): the last entry recorded for an instant
    wins. A few rows per region, computed once per chunk and hash-joined with the stays."""
    ranked = select(
        RegionLevel.region_code,
        RegionLevel.level,
        RegionLevel.effective_from,
        func.row_number()
        .over(
            partition_by=(RegionLevel.region_code, RegionLevel.effective_from),
            order_by=RegionLevel.created_at.desc(),
        )
        .label("rank"),
    ).subquery()
    periods = (
        select(
            ranked.c.region_code,
            ranked.c.level,
            ranked.c.effective_from.label("since"),
            func.lead(ranked.c.effective_from)
            .over(partition_by=ranked.c.region_code, order_by=ranked.c.effective_from)
            .label("until"),
        )
        .where(ranked.c.rank == 1)
        .subquery()
    )
    return select(
        periods.c.region_code,
        periods.c.level,
        _ms(session, periods.c.since).label("since"),
        _ms(session, periods.c.until).label("until"),
    ).cte("hc_periods")


def _uuid_text(session: Session, column: Any) -> Any:
    """A uuid column as str(uuid) (SQLite stores 32 hex digits)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(column, String)
    parts = [func.substr(column, a, n) for a, n in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))]
    return func.lower(parts[0] + "-" + parts[1] + "-" + parts[2] + "-" + parts[3] + "-" + parts[4])


def _text(session: Session, column: Any) -> Any:
    """A record-id column as text (uuid ids as str(uuid), like the engine's facts)."""
    return _uuid_text(session, column) if isinstance(column.type, Uuid) else column


def _records(session: Session, spec: Any) -> tuple[Table, list[str], Any]:
    """The input table, its columns and the SELECT filling them from one feed kind."""
    model = spec.model
    if spec.kind == "venue_contacts":
        exposure, venue, place, exposed = (getattr(model, c) for c in spec.columns)
        record = "venue-" + _uuid_text(session, exposure) + "-" + _uuid_text(session, venue)
        columns = [model.person_id, record, literal("secondary"), _ms(session, exposed), place]
        return CONTACTS, ["person_id", "record_id", "kind", "exposed_at", "place"], columns
    fields = [getattr(model, c) for c in spec.columns]
    if spec.facts_key == "tests":
        record, kind, result, sampled = fields
        columns = [model.person_id, _text(session, record), kind, result, _ms(session, sampled)]
        return TESTS, ["person_id", "record_id", "kind", "result", "sampled_at"], columns
    if spec.facts_key == "stays":
        record, region, arrived, departed = fields
        columns = [
            model.person_id,
            model.id,
            _text(session, record),
            region,
            _ms(session, arrived),
            _ms(session, departed),
        ]
        names = ["person_id", "stay_id", "record_id", "region_code", "arrived_at", "departed_at"]
        return STAYS, names, columns
    if spec.facts_key == "contacts" and len(fields) == 3:
        record, kind, exposed = fields
        columns = [model.person_id, _text(session, record), kind, _ms(session, exposed)]
        return CONTACTS, ["person_id", "record_id", "kind", "exposed_at"], columns
    raise ColumnarUnsupported(f"no columnar input for the {spec.kind} feed")


def load_inputs(session: Session, *, where: Where) -> int:
    """Fill the query's input tables for the people selected by ``where(person_id_column)``;
    the number of people selected."""
    conn = session.connection()
    plans = [(spec, *_records(session, spec)) for spec in FEEDS.values()]
    for table in (PEOPLE, TESTS, STAYS, LEVELS, CONTACTS):
        conn.execute(text(f"DROP TABLE IF EXISTS {table.name}"))
        table.create(conn)
    people = select(Person.id).where(where(Person.id))
    conn.execute(insert(PEOPLE).from_select(["person_id"], people))
    for spec, table, names, columns in plans:
        query = select(*columns).where(where(spec.model.person_id))
        conn.execute(insert(table).from_select(names, query))
    periods = _periods(session)
    conn.execute(
        insert(LEVELS).from_select(
            ["stay_id", "level", "level_from", "level_until"],
            select(STAYS.c.stay_id, periods.c.level, periods.c.since, periods.c.until)
            .join(periods, periods.c.region_code == STAYS.c.region_code)
            .where(
                or_(STAYS.c.departed_at.is_(None), periods.c.since < STAYS.c.departed_at),
                or_(periods.c.until.is_(None), periods.c.until > STAYS.c.arrived_at),
            ),
        )
    )
    for table_name, column in INDEXED:
        conn.execute(text(f"CREATE INDEX ix_{table_name}_{column} ON {table_name} ({column})"))
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL default_statistics_target = 10"))
        conn.execute(text("ANALYZE hc_people, hc_tests, hc_stays, hc_levels, hc_contacts"))
    return int(conn.execute(select(func.count()).select_from(PEOPLE)).scalar_one())


def _rows(session: Session, *, ruleset: RuleSet, now: datetime, validity: bool = True) -> Any:
    """The rule set's columnar query over the loaded inputs, as a subquery."""
    conn = session.connection()
    query = columnar_query(ruleset, dialect=conn.dialect.name, now=now, validity=validity)
    found = text(query.sql).bindparams(**query.params)
    return found.columns(
        literal_column("person_id", Uuid),
        literal_column("severity", Integer),
        literal_column("valid_until", BigInteger),
    ).subquery("hc_found")


_CHANGES = """
SELECT was, becomes, n, person_id FROM (
  SELECT b.severity AS was, a.severity AS becomes, b.person_id AS person_id,
         count(*) OVER (PARTITION BY b.severity, a.severity) AS n,
         row_number() OVER (PARTITION BY b.severity, a.severity ORDER BY b.person_id) AS k
  FROM hc_before b JOIN hc_after a ON a.person_id = b.person_id
) hc_changes WHERE k <= :examples
"""


def colour_changes(
    session: Session, *, old: RuleSet, new: RuleSet, now: datetime, examples: int
) -> list[tuple[str, str, int, list[uuid.UUID]]]:
    """How the loaded people's colours change from `old` to `new` at `now`: per (colour
    before, colour after), how many, and the first `examples` person ids. Counted in the
    database: only these few rows come back (raises ColumnarUnsupported)."""
    conn = session.connection()
    on_commit = " ON COMMIT DROP" if conn.dialect.name == "postgresql" else ""
    for name, ruleset in (("hc_before", old), ("hc_after", new)):
        query = columnar_query(ruleset, dialect=conn.dialect.name, now=now, validity=False)
        conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
        create = f"CREATE TEMPORARY TABLE {name}{on_commit} AS {query.sql}"
        conn.execute(text(create).bindparams(**query.params))
    rows = conn.execute(
        text(_CHANGES)
        .bindparams(examples=examples)
        .columns(
            literal_column("was", Integer),
            literal_column("becomes", Integer),
            literal_column("n", Integer),
            literal_column("person_id", Uuid),
        )
    )
    groups: dict[tuple[int, int], tuple[int, list[uuid.UUID]]] = {}
    for was, becomes, count, pid in rows:
        groups.setdefault((was, becomes), (count, []))[1].append(pid)
    return [
        (colour_of(was), colour_of(becomes), count, sorted(ids))
        for (was, becomes), (count, ids) in sorted(groups.items())
    ]


def _results(rows: Any) -> dict[uuid.UUID, Result]:
    """Results from (person_id, severity, valid_until ms[, stored computed_at]) rows."""
    return {
        pid: Result(colour_of(int(rank)), None if until is None else from_ms(until), *stored)
        for pid, rank, until, *stored in rows
    }


def evaluate(
    session: Session, *, ruleset: RuleSet, now: datetime, validity: bool = True
) -> dict[uuid.UUID, Result]:
    """Colour and valid_until of everyone in the loaded inputs (raises ColumnarUnsupported);
    without ``validity`` the colour only (valid_until None)."""
    found = _rows(session, ruleset=ruleset, now=now, validity=validity)
    return _results(session.execute(select(found)))


def changed(session: Session, *, ruleset: RuleSet, now: datetime) -> dict[uuid.UUID, Result]:
    """Like `evaluate`, but only the people whose stored colour or valid_until differs (or who
    have none): the comparison runs in the database, so unchanged people never leave it."""
    found = _rows(session, ruleset=ruleset, now=now)
    colour = case(
        *((found.c.severity == rank, literal(name)) for rank, name in enumerate(COLORS)),
        else_=literal(COLORS[0]),
    )
    stored = PersonStatus.__table__.c
    query = (
        select(found.c.person_id, found.c.severity, found.c.valid_until, stored.computed_at)
        .outerjoin(PersonStatus, stored.person_id == found.c.person_id)
        .where(
            or_(
                stored.person_id.is_(None),
                stored.color != colour,
                _ms(session, stored.valid_until).is_distinct_from(found.c.valid_until),
            )
        )
    )
    return _results(session.execute(query))
