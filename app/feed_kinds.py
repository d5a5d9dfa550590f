"""The registry of feed kinds: one entry per kind, read by routes, scopes, ingest, apply, facts.

A new kind is one `FeedSpec` here, its model in `app/models/feeds.py`, and its field in
`risk.Facts`. Names: the *travel* feed carries *stays* (model `Stay`, fact `risk.Stay`, facts
key `stays`); the public names (URL `/v1/feeds/travel`, scope `feed:travel`) are the kind's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

import risk
from app.models import CheckIn, ContactEvent, LabTest, Stay, VenueContact

CHECKPOINT_SCOPE = "checkpoint"
METRICS_SCOPE = "metrics"  # a Prometheus scraper's API key: GET /metrics only


class FeedKind(StrEnum):
    """A kind of feed (the value is its URL segment and batch kind)."""

    TESTS = "tests"
    TRAVEL = "travel"
    CONTACTS = "contacts"
    CHECKINS = "checkins"  # residents' venue check-ins (stays), not uploaded
    VENUE_CONTACTS = "venue_contacts"  # secondary contacts found at venues, not uploaded


class Levels(Protocol):
    """Region level periods overlapping a stay (`app.services.facts.RegionTimeline`)."""

    def overlapping(
        self, code: str, arrived: datetime, departed: datetime | None
    ) -> tuple[risk.LevelPeriod, ...]: ...


@dataclass(frozen=True)
class FeedSpec:
    """Everything the app knows about one feed kind."""

    kind: FeedKind
    summary: str  # the route's description
    model: Any  # the record table (has record_id, person_id, batch_id, received_at)
    required: frozenset[str]
    optional: frozenset[str] = frozenset()
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    facts_key: str = ""  # the field of risk.Facts its records fill
    columns: tuple[str, ...] = ()  # the model columns its facts read, after person_id
    to_fact: Callable[[tuple[Any, ...], Levels], Any] = lambda row, levels: row
    region_column: str | None = None  # the one of `columns` naming a region, if `to_fact` asks
    # `Levels` about it (only those regions' level histories are read)
    uploaded: bool = True  # False: written by the app itself (no route, scope or batch)

    @property
    def scope(self) -> str:
        """The API-key scope allowing uploads of this kind."""
        return f"feed:{self.kind}"

    @property
    def fields(self) -> frozenset[str]:
        """Every field a record may have."""
        return self.required | self.optional

    @property
    def region_index(self) -> int | None:
        """Where `region_column` is in a row of `fact_query_columns()`, if the kind has one."""
        return None if self.region_column is None else 1 + self.columns.index(self.region_column)

    def fact_query_columns(self) -> list[Any]:
        """person_id, then the columns `to_fact` reads."""
        return [self.model.person_id, *(getattr(self.model, c) for c in self.columns)]


def _stay(row: tuple[Any, ...], levels: Levels) -> risk.Stay:
    record_id, code, arrived, departed = row
    return risk.Stay(
        str(record_id), code, arrived, departed, levels.overlapping(code, arrived, departed)
    )


def _venue_contact(row: tuple[Any, ...], _levels: Levels) -> risk.Contact:
    exposure_id, venue_id, place, exposed_at = row
    return risk.Contact(f"venue-{exposure_id}-{venue_id}", "secondary", exposed_at, place)


FEEDS: dict[FeedKind, FeedSpec] = {
    spec.kind: spec
    for spec in (
        FeedSpec(
            FeedKind.TESTS,
            "Lab results: record_id, id_number, kind (pcr|antigen), result, sampled_at.",
            LabTest,
            required=frozenset({"record_id", "id_number", "kind", "result", "sampled_at"}),
            choices={"kind": ("pcr", "antigen"), "result": ("positive", "negative")},
            facts_key="tests",
            columns=("record_id", "kind", "result", "sampled_at"),
            to_fact=lambda row, _levels: risk.TestRecord(*row),
        ),
        FeedSpec(
            FeedKind.TRAVEL,
            "Stays: record_id, id_number, region_code, arrived_at, departed_at (optional).",
            Stay,
            required=frozenset({"record_id", "id_number", "region_code", "arrived_at"}),
            optional=frozenset({"departed_at"}),
            facts_key="stays",
            columns=("record_id", "region_code", "arrived_at", "departed_at"),
            to_fact=_stay,
            region_column="region_code",
        ),
        FeedSpec(
            FeedKind.CONTACTS,
            "Exposures: record_id, id_number, kind (close|secondary), exposed_at.",
            ContactEvent,
            required=frozenset({"record_id", "id_number", "kind", "exposed_at"}),
            choices={"kind": ("close", "secondary")},
            facts_key="contacts",
            columns=("record_id", "kind", "exposed_at"),
            to_fact=lambda row, _levels: risk.Contact(*row),
        ),
        FeedSpec(
            FeedKind.CHECKINS,
            "Venue check-ins: a stay at the venue's region from arrival to checkout.",
            CheckIn,
            required=frozenset(),
            facts_key="stays",
            columns=("id", "region_code", "arrived_at", "departed_at"),
            to_fact=_stay,
            region_column="region_code",
            uploaded=False,
        ),
        FeedSpec(
            FeedKind.VENUE_CONTACTS,
            "Venue exposures: a secondary contact naming the venue where a visit overlapped.",
            VenueContact,
            required=frozenset(),
            facts_key="contacts",
            columns=("exposure_id", "venue_id", "place", "exposed_at"),
            to_fact=_venue_contact,
            uploaded=False,
        ),
    )
}

UPLOADS: dict[FeedKind, FeedSpec] = {kind: spec for kind, spec in FEEDS.items() if spec.uploaded}
"""The kinds uploaded through /v1/feeds (each has a route, a scope and batches)."""

SCOPES: tuple[str, ...] = (
    CHECKPOINT_SCOPE,
    METRICS_SCOPE,
    *(spec.scope for spec in UPLOADS.values()),
)
"""Every API-key scope."""
