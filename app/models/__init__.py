"""SQLAlchemy models, one module per area; importing this registers them all."""

from app.models.accounts import Account, ApiKey, OtpChallenge, RefreshToken, Role
from app.models.audit import AuditEvent
from app.models.codes import CodeRevocation, IssuedCode, KeyRecord, RootHandover, TrustChange
from app.models.feeds import ContactEvent, FeedBatch, LabTest, OutboxEntry, Stay
from app.models.persons import Person
from app.models.regions import Region, RegionLevel
from app.models.rules import JobChunk, JobRecord, RuleSetRecord
from app.models.status import PersonStatus, StatusChange
from app.models.venues import (
    CheckIn,
    Exposure,
    ExposureSetting,
    PlaceCode,
    Venue,
    VenueApiKey,
    VenueContact,
    VenueEntry,
)

__all__ = [
    "Account",
    "ApiKey",
    "AuditEvent",
    "CheckIn",
    "CodeRevocation",
    "ContactEvent",
    "Exposure",
    "ExposureSetting",
    "FeedBatch",
    "IssuedCode",
    "JobChunk",
    "JobRecord",
    "KeyRecord",
    "LabTest",
    "OtpChallenge",
    "OutboxEntry",
    "Person",
    "PersonStatus",
    "PlaceCode",
    "RefreshToken",
    "Region",
    "RegionLevel",
    "Role",
    "RootHandover",
    "RuleSetRecord",
    "StatusChange",
    "Stay",
    "TrustChange",
    "Venue",
    "VenueApiKey",
    "VenueContact",
    "VenueEntry",
]
