"""The states and kinds stored in the database, one StrEnum each (columns stay strings).

Colours are `risk.Color`; feed kinds are `app.feed_kinds.FeedKind`; outbox topics are
`app.services.outbox.Topic`; roles are `app.models.Role`.
"""

from __future__ import annotations

from enum import StrEnum


class BatchStatus(StrEnum):
    """A feed batch, from upload until its records are applied."""

    QUEUED = "queued"
    APPLYING = "applying"
    APPLIED = "applied"
    FAILED = "failed"


class JobKind(StrEnum):
    """What a tracked job does."""

    DRY_RUN = "dry_run"
    PUBLISH = "publish"


class JobStatus(StrEnum):
    """A tracked job (full recompute or dry run)."""

    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


class KeyPurpose(StrEnum):
    """What a signing key signs."""

    CODE = "code"
    BUNDLE = "bundle"


class KeyStatus(StrEnum):
    """A signing key's life: active, then retired (still verifies), then expired; or revoked."""

    ACTIVE = "active"
    RETIRED = "retired"
    REVOKED = "revoked"
    EXPIRED = "expired"


class TrustChangeKind(StrEnum):
    """What changed the trust bundle (one row of the change log, `TrustChange`)."""

    REVOCATION = "revocation"
    REVOCATION_DROPPED = "revocation_dropped"
    KEY_ADDED = "key_added"
    KEY_ROTATED = "key_rotated"
    KEY_REVOKED = "key_revoked"
    KEY_EXPIRED = "key_expired"
    ROOT_HANDOVER = "root_handover"


class RuleSetStatus(StrEnum):
    """A rule set: a draft, the active one, or retired by a later publish."""

    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


class VenueKind(StrEnum):
    """What kind of place a venue is."""

    SHOP = "shop"
    RESTAURANT = "restaurant"
    STATION = "station"
    OFFICE = "office"
    HOSPITAL = "hospital"
    SCHOOL = "school"
    OTHER = "other"


class ExposureMode(StrEnum):
    """Whether venue exposures apply at once or wait for an official's review."""

    AUTO = "auto"
    REVIEW = "review"


class ExposureStatus(StrEnum):
    """A venue exposure: awaiting review, applied (contacts recorded), or dismissed."""

    PENDING = "pending"
    APPLIED = "applied"
    DISMISSED = "dismissed"
