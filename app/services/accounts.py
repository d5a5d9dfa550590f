"""Staff accounts: creation, listing, disabling."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import new_id
from app.errors import Conflict, FieldError, InvalidInput, NotFound
from app.models import Account, RefreshToken, Role
from app.models.accounts import STAFF_ROLES
from app.principal import Principal
from app.security.hashing import hash_password
from app.services import audit

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD = 10


def validate_new_staff(username: str, password: str, role: str) -> None:
    """Check a new staff account's fields, reporting every problem."""
    errors = []
    if not USERNAME.match(username):
        errors.append(FieldError("/username", "3-64 of a-z, 0-9, '.', '_', '-'."))
    if len(password) < MIN_PASSWORD:
        errors.append(FieldError("/password", f"At least {MIN_PASSWORD} characters."))
    if role not in [r.value for r in STAFF_ROLES]:
        errors.append(FieldError("/role", "One of checkpoint, venue_operator, official, admin."))
    if errors:
        raise InvalidInput("The account cannot be created.", errors)


def create_staff(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    now: datetime,
    actor: Principal | None = None,
    enforce_policy: bool = True,
) -> Account:
    """Create a staff account with a hashed password."""
    username = username.strip().lower()
    if enforce_policy:
        validate_new_staff(username, password, role)
    if session.scalars(select(Account).where(Account.username == username)).first():
        raise Conflict(f"The username {username!r} is taken.")
    account = Account(
        id=new_id(),
        role=Role(role).value,
        username=username,
        password_hash=hash_password(password),
        created_at=now,
        created_by=actor.id if actor and actor.kind == "account" else None,
    )
    session.add(account)
    audit.record(
        session,
        actor=actor,
        action="account.create",
        target_type="account",
        target_id=str(account.id),
        role=role,
    )
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"The username {username!r} is taken.") from None
    return account


def list_accounts(session: Session, *, role: str | None = None) -> Sequence[Account]:
    """All accounts, newest first, optionally of one role."""
    query = select(Account).order_by(Account.created_at.desc())
    if role:
        query = query.where(Account.role == role)
    return session.scalars(query.limit(1000)).all()


def get_account(session: Session, *, account_id: uuid.UUID) -> Account:
    """One account or NotFound."""
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound("No such account.")
    return account


def set_disabled(
    session: Session,
    *,
    account_id: uuid.UUID,
    disabled: bool,
    now: datetime,
    actor: Principal | None = None,
) -> Account:
    """Disable (tokens stop working at once) or re-enable an account."""
    account = get_account(session, account_id=account_id)
    if actor is not None and actor.id == account.id and disabled:
        raise Conflict("You cannot disable your own account.")
    account.disabled_at = now if disabled else None
    if disabled:  # re-enabling must not revive what was issued before
        # whole seconds, rounded up: access tokens carry their issue time in whole seconds
        account.tokens_valid_from = now.replace(microsecond=0) + timedelta(seconds=1)
        session.execute(
            update(RefreshToken)
            .where(RefreshToken.account_id == account.id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    audit.record(
        session,
        actor=actor,
        action="account.disable" if disabled else "account.enable",
        target_type="account",
        target_id=str(account.id),
    )
    session.flush()
    return account


def find_by_username(session: Session, *, username: str) -> Account:
    """The account with this username, or NotFound."""
    account = session.scalars(
        select(Account).where(Account.username == username.strip().lower())
    ).first()
    if account is None:
        raise NotFound(f"No account named {username!r}.")
    return account
