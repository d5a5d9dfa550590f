"""The app's domain exception tree; each maps to one HTTP status and problem type."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field, addressed by a JSON pointer."""

    pointer: str
    detail: str


class ServiceError(Exception):
    """Root of every error a service raises on purpose."""

    status = 400
    type_slug = "bad-request"
    title = "Bad request"

    def __init__(
        self, detail: str = "", errors: Sequence[FieldError] = (), *, keep_changes: bool = False
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = list(errors)
        # True when what the service wrote before failing must still commit (see unit_of_work)
        self.keep_changes = keep_changes


class InvalidInput(ServiceError):
    """The input is well-formed but breaks a rule."""

    status = 422
    type_slug = "validation-error"
    title = "Invalid input"


class AuthenticationFailed(ServiceError):
    """Credentials are missing, wrong, expired or revoked."""

    status = 401
    type_slug = "unauthorized"
    title = "Authentication required"


class PermissionDenied(ServiceError):
    """The caller is authenticated but not allowed to do this."""

    status = 403
    type_slug = "forbidden"
    title = "Forbidden"


class NotFound(ServiceError):
    """No such object, or not one the caller may see."""

    status = 404
    type_slug = "not-found"
    title = "Not found"


class Conflict(ServiceError):
    """The request conflicts with the current state."""

    status = 409
    type_slug = "conflict"
    title = "Conflict"


class TooManyAttempts(ServiceError):
    """Too many tries: the caller must wait `retry_after` seconds (429 with Retry-After)."""

    status = 429
    type_slug = "rate-limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


class IdentityNotVerified(Conflict):
    """The resident's identity is not proven yet: no code and no status until it is."""

    type_slug = "identity-not-verified"
    title = "Identity not verified"


class Unavailable(ServiceError):
    """A dependency needed for this request is not available."""

    status = 503
    type_slug = "unavailable"
    title = "Service unavailable"
    headers = {"Retry-After": "5"}  # noqa: RUF012  (read-only)
