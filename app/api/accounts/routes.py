"""Admins manage staff accounts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from flask.views import MethodView

from app.api.accounts.schemas import (
    AccountCreateSchema,
    AccountPatchSchema,
    AccountQuerySchema,
    AccountSchema,
)
from app.api.blueprint import Blueprint
from app.extensions import db_session, now
from app.models import Account, Role
from app.security.access import allow, current_principal
from app.services import accounts

blp = Blueprint("accounts", __name__, url_prefix="/v1/accounts", description="Staff accounts")


@blp.route("")
class Accounts(MethodView):
    @allow(Role.ADMIN)
    @blp.arguments(AccountQuerySchema, location="query")
    @blp.response(200, AccountSchema(many=True))
    def get(self, query: dict[str, Any]) -> Sequence[Account]:
        """List accounts (newest first), optionally by role."""
        return accounts.list_accounts(db_session(), role=query.get("role"))

    @allow(Role.ADMIN)
    @blp.arguments(AccountCreateSchema)
    @blp.response(201, AccountSchema)
    def post(self, data: dict[str, Any]) -> Account:
        """Create a staff account."""
        return accounts.create_staff(
            db_session(),
            username=data["username"],
            password=data["password"],
            role=data["role"],
            now=now(),
            actor=current_principal(),
        )


@blp.route("/<uuid:account_id>")
class AccountItem(MethodView):
    @allow(Role.ADMIN)
    @blp.response(200, AccountSchema)
    def get(self, account_id: uuid.UUID) -> Account:
        """One account."""
        return accounts.get_account(db_session(), account_id=account_id)

    @allow(Role.ADMIN)
    @blp.arguments(AccountPatchSchema)
    @blp.response(200, AccountSchema)
    def patch(self, data: dict[str, Any], account_id: uuid.UUID) -> Account:
        """Disable or re-enable an account; a disabled account's tokens stop working."""
        return accounts.set_disabled(
            db_session(),
            account_id=account_id,
            disabled=data["disabled"],
            now=now(),
            actor=current_principal(),
        )
