"""SQLAlchemy models, one module per area; importing this registers them all."""

from app.models.accounts import Account, ApiKey, OtpChallenge, RefreshToken, Role
from app.models.audit import AuditEvent
from app.models.persons import Person
from app.models.regions import Region, RegionLevel

__all__ = [
    "Account",
    "ApiKey",
    "AuditEvent",
    "OtpChallenge",
    "Person",
    "RefreshToken",
    "Region",
    "RegionLevel",
    "Role",
]
