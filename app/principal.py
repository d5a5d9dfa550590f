"""Who is acting: plain types that services take (no Flask here)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


class ActorKind(StrEnum):
    """What kind of credential a principal authenticated with."""

    ACCOUNT = "account"
    API_KEY = "api_key"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller (an account with a role, or an API key with scopes).

    `request_id` names the request it acts in (recorded with audited actions).
    """

    kind: ActorKind
    id: uuid.UUID
    role: str | None = None
    scopes: frozenset[str] = frozenset()
    person_id: uuid.UUID | None = None
    request_id: str | None = None

    @property
    def label(self) -> str:
        """A log-safe description (no secrets)."""
        return f"{self.kind}:{self.role or ','.join(sorted(self.scopes))}:{self.id}"

    @property
    def account_id(self) -> uuid.UUID | None:
        """The account acting, or None for an API key."""
        return self.id if self.kind == ActorKind.ACCOUNT else None
