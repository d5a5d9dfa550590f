"""Venues, their place codes, check-ins, entry decisions and venue exposures."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, new_id, utcnow

MAX_STAY = timedelta(hours=12)
"""The longest visit: a checkout later than this after arrival ends the visit here."""


class Venue(Base):
    """A place run by one venue operator account, with its entry policy."""

    __tablename__ = "venues"
    __table_args__ = (Index("ix_venues_owner_created", "owner_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    kind: Mapped[str] = mapped_column(String(20))
    admitted_colors: Mapped[list[str]] = mapped_column(JSON)
    test_within_hours: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deactivated_at: Mapped[datetime | None]

    @property
    def active(self) -> bool:
        """True until the venue is deactivated."""
        return self.deactivated_at is None


class PlaceCode(Base):
    """A signed place code of a venue, valid for one rotation period plus a grace time."""

    __tablename__ = "place_codes"
    __table_args__ = (Index("ix_place_codes_venue_issued", "venue_id", "issued_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the CWT cti
    venue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signing_keys.id"))
    region_code: Mapped[str] = mapped_column(String(16))
    admitted_colors: Mapped[list[str]] = mapped_column(JSON)
    test_within_hours: Mapped[int | None] = mapped_column(Integer)
    issued_at: Mapped[datetime]
    rotate_at: Mapped[datetime]  # a new code is handed out from here on
    expires_at: Mapped[datetime]  # rotate_at + grace (the signed exp), or the key's end
    text: Mapped[str] = mapped_column(Text)


class CheckIn(Base):
    """A resident's visit to a venue: a stay in the venue's region for the risk engine.

    On PostgreSQL partitioned by week of arrival (`app.models.partitions`), so the retention
    purge drops whole weeks; the primary key includes arrived_at there (SQLite keeps `id`),
    and the person index INCLUDEs the columns a person's facts read (an index-only scan)."""

    __tablename__ = "checkins"
    __table_args__ = (
        Index("ix_checkins_venue_arrived", "venue_id", "arrived_at"),
        # covers what a person's facts read (as the feed tables' person indexes do)
        Index(
            "ix_checkins_person_arrived",
            "person_id",
            "arrived_at",
            postgresql_include=["id", "region_code", "departed_at"],
        ),
        {"postgresql_partition_by": "RANGE (arrived_at)"},
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    venue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    place_code_id: Mapped[str] = mapped_column(String(40))
    region_code: Mapped[str] = mapped_column(String(16))
    arrived_at: Mapped[datetime] = mapped_column(primary_key=True)
    departed_at: Mapped[datetime]  # the checkout, else arrival plus the default duration
    checked_out: Mapped[bool] = mapped_column(Boolean, default=False)
    admitted: Mapped[bool] = mapped_column(Boolean)
    color: Mapped[str] = mapped_column(String(10))


class VenueEntry(Base):
    """One door decision for a venue (online, or uploaded from a device's offline log)."""

    __tablename__ = "venue_entries"
    __table_args__ = (
        UniqueConstraint("venue_id", "entry_id"),
        Index("ix_venue_entries_venue_scanned", "venue_id", "scanned_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    venue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    entry_id: Mapped[str] = mapped_column(String(64))
    code_id: Mapped[str | None] = mapped_column(String(64))
    scanned_at: Mapped[datetime]
    admitted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(40))
    color: Mapped[str | None] = mapped_column(String(10))
    holder_hint: Mapped[str | None] = mapped_column(String(60))  # masked name + last 4
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by: Mapped[uuid.UUID]  # account or API key
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class VenueApiKey(Base):
    """An API key (scope checkpoint) bound to one venue: it may record entries there only."""

    __tablename__ = "venue_api_keys"

    api_key_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True
    )
    venue_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("venues.id", ondelete="CASCADE"), index=True
    )


class Exposure(Base):
    """Venue exposure from one positive case: pending review, applied or dismissed."""

    __tablename__ = "exposures"
    __table_args__ = (UniqueConstraint("case_person_id", "test_record_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    test_record_id: Mapped[str] = mapped_column(String(100))
    sampled_at: Mapped[datetime]
    window_from: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    venues: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    contacts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[uuid.UUID | None]


class VenueContact(Base):
    """A secondary contact from a venue: a visit that overlapped a case's visit there."""

    __tablename__ = "venue_contacts"
    __table_args__ = (Index("ix_venue_contacts_person", "person_id"),)

    exposure_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exposures.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    venue_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True
    )
    place: Mapped[str] = mapped_column(String(100))  # the venue's name then
    exposed_at: Mapped[datetime]  # start of the first overlap


class ExposureSetting(Base):
    """Officials' choice: apply venue exposures at once ("auto") or after review."""

    __tablename__ = "exposure_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mode: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[uuid.UUID | None]
