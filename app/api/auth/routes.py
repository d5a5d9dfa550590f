"""Resident one-time-code login, staff password login, refresh and logout."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView

from app.api.auth.schemas import (
    OtpRequestSchema,
    OtpTokenSchema,
    PasswordLoginSchema,
    RefreshSchema,
    TokenSchema,
)
from app.api.blueprint import Blueprint
from app.extensions import client_address, container, db_session, limiter, now
from app.security.access import allow
from app.services import auth
from app.services.otp_guard import OtpGuard

blp = Blueprint("auth", __name__, url_prefix="/v1/auth", description="Logging in")


def _phone_key() -> str:
    """The per-phone bucket, keyed on the normalised number (formatting cannot dodge it)."""
    body = request.get_json(silent=True)
    phone = body.get("phone") if isinstance(body, dict) else None
    return "phone:" + auth.phone_bucket(container().settings, phone)


def _guard() -> OtpGuard:
    """Wrong-code counts for this caller's address (see app.services.otp_guard)."""
    c = container()
    return OtpGuard(c.redis, c.settings.id_hash_key, client_address())


def _otp_phone_limit() -> str:
    return container().settings.otp_rate_limit_phone


def _otp_ip_limit() -> str:
    return container().settings.otp_rate_limit_ip


def _login_limit() -> str:
    return container().settings.login_rate_limit


@blp.route("/otp")
class OtpRequest(MethodView):
    @allow(public=True)
    @limiter.limit(_otp_ip_limit, scope="otp-ip")
    @limiter.limit(_otp_phone_limit, key_func=_phone_key, scope="otp-phone")
    @blp.arguments(OtpRequestSchema)
    @blp.response(202)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Send a 6-digit login code to a phone by SMS."""
        s = container()
        auth.request_otp(
            db_session(),
            settings=s.settings,
            sms=s.sms,
            guard=_guard(),
            raw_phone=data["phone"],
            now=now(),
        )
        return {"status": "sent", "expires_in": s.settings.otp_ttl}


@blp.route("/token")
class OtpToken(MethodView):
    @allow(public=True)
    @limiter.limit(_otp_ip_limit, scope="token-ip")
    @blp.arguments(OtpTokenSchema)
    @blp.response(200, TokenSchema)
    def post(self, data: dict[str, Any]) -> auth.TokenPair:
        """Exchange a phone and its code for tokens; the first login creates the resident."""
        session, settings = db_session(), container().settings
        account = auth.verify_otp(
            session,
            settings=settings,
            guard=_guard(),
            raw_phone=data["phone"],
            code=data["otp"],
            now=now(),
        )
        return auth.issue_tokens(session, settings=settings, account=account, now=now())


@blp.route("/login")
class PasswordLogin(MethodView):
    @allow(public=True)
    @limiter.limit(_login_limit, scope="login-ip")
    @blp.arguments(PasswordLoginSchema)
    @blp.response(200, TokenSchema)
    def post(self, data: dict[str, Any]) -> auth.TokenPair:
        """Staff log in with username and password."""
        session = db_session()
        account = auth.login_password(
            session, username=data["username"], password=data["password"], now=now()
        )
        return auth.issue_tokens(session, settings=container().settings, account=account, now=now())


@blp.route("/refresh")
class Refresh(MethodView):
    @allow(public=True)
    @limiter.limit(_login_limit, scope="refresh-ip")
    @blp.arguments(RefreshSchema)
    @blp.response(200, TokenSchema)
    def post(self, data: dict[str, Any]) -> auth.TokenPair:
        """Exchange a refresh token for a new pair (the old one is revoked)."""
        return auth.refresh_tokens(
            db_session(), settings=container().settings, refresh=data["refresh_token"], now=now()
        )


@blp.route("/logout")
class Logout(MethodView):
    @allow(public=True)
    @blp.arguments(RefreshSchema)
    @blp.response(204)
    def post(self, data: dict[str, Any]) -> None:
        """Revoke a refresh token."""
        auth.logout(db_session(), refresh=data["refresh_token"], now=now())
