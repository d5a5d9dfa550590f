"""Door decisions at a venue: online checks, offline logs uploaded later, what operators see."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from flask.views import MethodView

from app.api.blueprint import Blueprint
from app.api.venues.schemas import (
    EntryBatchResultSchema,
    EntryBatchSchema,
    EntryInputSchema,
    EntryQuerySchema,
    EntrySchema,
    HourlyQuerySchema,
    HourSchema,
)
from app.errors import FieldError, InvalidInput
from app.extensions import container, db_session, now
from app.feed_kinds import CHECKPOINT_SCOPE
from app.models import Role, VenueEntry
from app.security.access import allow, current_principal
from app.services import entries, venues

blp = Blueprint(
    "venue_entries", __name__, url_prefix="/v1/venues", description="Venue entry checks"
)
DOOR = (Role.VENUE_OPERATOR, Role.CHECKPOINT)
MAX_RANGE = timedelta(days=7)


@blp.route("/<uuid:venue_id>/entries")
class Entries(MethodView):
    @allow(*DOOR, scopes=(CHECKPOINT_SCOPE,))
    @blp.arguments(EntryInputSchema)
    @blp.response(200, EntrySchema)
    def post(self, data: dict[str, Any], venue_id: uuid.UUID) -> VenueEntry:
        """Check a person's health code against the venue's policy; the decision is kept."""
        actor = current_principal()
        venue = venues.for_door(db_session(), actor=actor, venue_id=venue_id)
        return entries.check_online(
            db_session(),
            live=container().live,
            keyring=container().keyring,
            actor=actor,
            venue=venue,
            text=data["code"],
            now=now(),
        )

    @allow(Role.VENUE_OPERATOR, Role.ADMIN)
    @blp.arguments(EntryQuerySchema, location="query")
    @blp.response(200, EntrySchema(many=True))
    def get(self, query: dict[str, Any], venue_id: uuid.UUID) -> Sequence[VenueEntry]:
        """The venue's latest decisions (masked hints only)."""
        venue = venues.owned(db_session(), actor=current_principal(), venue_id=venue_id)
        return entries.recent(db_session(), venue=venue, limit=query["limit"])


@blp.route("/<uuid:venue_id>/entries/batch")
class EntryBatch(MethodView):
    @allow(*DOOR, scopes=(CHECKPOINT_SCOPE,))
    @blp.arguments(EntryBatchSchema)
    @blp.response(200, EntryBatchResultSchema)
    def post(self, data: dict[str, Any], venue_id: uuid.UUID) -> entries.BatchResult:
        """Upload a device's offline decisions (idempotent by entry_id)."""
        actor = current_principal()
        venue = venues.for_door(db_session(), actor=actor, venue_id=venue_id)
        return entries.upload(
            db_session(),
            settings=container().settings,
            actor=actor,
            venue=venue,
            entries=data["entries"],
            now=now(),
        )


@blp.route("/<uuid:venue_id>/entries/hourly")
class Hourly(MethodView):
    @allow(Role.VENUE_OPERATOR, Role.ADMIN)
    @blp.arguments(HourlyQuerySchema, location="query")
    @blp.response(200, HourSchema(many=True))
    def get(self, query: dict[str, Any], venue_id: uuid.UUID) -> list[dict[str, Any]]:
        """Entries admitted and refused, and check-ins, per hour (counts only)."""
        venue = venues.owned(db_session(), actor=current_principal(), venue_id=venue_id)
        until = query.get("until") or now()
        since = query.get("since") or until - timedelta(days=1)
        if not timedelta(0) <= until - since <= MAX_RANGE:
            raise InvalidInput(
                "Bad range.", [FieldError("/since", "since must be before until, at most 7 days.")]
            )
        return entries.hourly(db_session(), venue=venue, since=since, until=until)
