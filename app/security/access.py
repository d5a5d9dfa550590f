"""Who is calling, and the per-endpoint declaration of who may call."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from copy import deepcopy
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from app.errors import AuthenticationFailed, PermissionDenied
from app.extensions import container, db_session
from app.feed_kinds import SCOPES
from app.principal import ActorKind, Principal
from app.services.auth import resolve_bearer

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Access:
    """Declared access for one endpoint: roles and API-key scopes allowed, or public."""

    roles: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    public: bool = False

    def allows(self, principal: Principal) -> bool:
        """True when this principal may call the endpoint."""
        if principal.kind == ActorKind.API_KEY:
            return bool(principal.scopes.intersection(self.scopes))
        return principal.role in self.roles


def current_principal() -> Principal:
    """The caller of the current request (authentication already enforced)."""
    principal: Principal | None = g.get("principal")
    if principal is None:
        raise AuthenticationFailed("Authentication required.")
    return principal


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate() -> Principal:
    """Resolve the bearer credential to a principal or raise AuthenticationFailed."""
    token = _bearer_token()
    if token is None:
        raise AuthenticationFailed("Send 'Authorization: Bearer <token>'.")
    c = container()
    principal = resolve_bearer(
        db_session(), live=c.live, settings=c.settings, token=token, request_id=g.get("request_id")
    )
    g.principal = principal
    g.principal_label = principal.label
    return principal


def allow(*roles: str, scopes: Iterable[str] = (), public: bool = False) -> Callable[[F], F]:
    """Declare (and enforce) which roles and API-key scopes may call a view."""
    access = Access(tuple(str(r) for r in roles), tuple(scopes), public)
    for scope in access.scopes:
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}")

    def decorator(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not access.public:
                principal = authenticate()
                if not access.allows(principal):
                    raise PermissionDenied("Your role may not use this endpoint.")
            return func(*args, **kwargs)

        apidoc = deepcopy(getattr(func, "_apidoc", {}))
        manual = apidoc.setdefault("manual_doc", {})
        if access.public:
            manual["security"] = []
            note = "Access: public."
        else:
            manual["security"] = [{"bearerAuth": []}]
            allowed = ", ".join(access.roles) or "none"
            note = f"Access: roles {allowed}"
            if access.scopes:
                note += f"; API keys with scope {', '.join(access.scopes)}"
            note += "."
            manual.setdefault("responses", {})
        manual["x-access"] = {"roles": list(access.roles), "scopes": list(access.scopes)}
        manual["description"] = (manual.get("description", "") + "\n\n" + note).strip()
        wrapper._apidoc = apidoc  # type: ignore[attr-defined]
        wrapper._access = access  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator
