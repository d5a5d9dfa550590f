"""A resident's own data: profile, signed health code (text and QR images), status, history."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView

from app.api.blueprint import Blueprint
from app.api.common import StatusSchema, language
from app.api.me.schemas import CodeSchema, HistorySchema, ProfileInputSchema, ProfileSchema
from app.extensions import container, db_session, now
from app.models import Person, Role
from app.security.access import allow, current_principal
from app.services import health_codes, persons, residents

blp = Blueprint("me", __name__, url_prefix="/v1/me", description="The resident's own data")


@blp.route("/profile")
class Profile(MethodView):
    @allow(Role.RESIDENT)
    @blp.response(200, ProfileSchema)
    def get(self) -> Person:
        """Your profile: masked name and the last 4 characters of your ID number."""
        return persons.get_profile(db_session(), actor=current_principal())

    @allow(Role.RESIDENT)
    @blp.arguments(ProfileInputSchema)
    @blp.response(200, ProfileSchema)
    def put(self, data: dict[str, Any]) -> Person:
        """Prove and set your identity (the identity provider decides how).

        The clear ID number is never stored.
        """
        return persons.put_profile(
            db_session(),
            settings=container().settings,
            actor=current_principal(),
            name=data["name"],
            id_number=data["id_number"],
            birth_date=data["birth_date"],
            phone=data.get("phone"),
            now=now(),
        )


def _current() -> health_codes.ShownCode:
    c = container()
    return health_codes.current_code(
        db_session(),
        live=c.live,
        keyring=c.keyring,
        settings=c.settings,
        actor=current_principal(),
        now=now(),
    )


def _image(kind: str, mimetype: str) -> Response:
    code = _current()
    etag = f'"{code.id}-{kind}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = current_app.response_class(status=304)
    else:
        response = current_app.response_class(
            health_codes.code_image(db_session(), code=code, kind=kind), mimetype=mimetype
        )
    response.headers["ETag"] = etag
    response.headers["X-Code-Expires-At"] = code.expires_at.isoformat()
    return response


@blp.route("/code")
class Code(MethodView):
    @allow(Role.RESIDENT)
    @blp.response(200, CodeSchema)
    def get(self) -> health_codes.ShownCode:
        """Your current code: reused while valid for your colour, else newly issued."""
        return _current()


@blp.route("/code.png")
class CodePng(MethodView):
    @allow(Role.RESIDENT)
    @blp.response(200, content_type="image/png")
    def get(self) -> Response:
        """Your current code as a PNG QR image (rendered once per code)."""
        return _image("png", "image/png")


@blp.route("/code.svg")
class CodeSvg(MethodView):
    @allow(Role.RESIDENT)
    @blp.response(200, content_type="image/svg+xml")
    def get(self) -> Response:
        """Your current code as an SVG QR image (rendered once per code)."""
        return _image("svg", "image/svg+xml")


@blp.route("/status")
class MyStatus(MethodView):
    @allow(Role.RESIDENT)
    @blp.response(200, StatusSchema)
    def get(self) -> dict[str, Any]:
        """Your colour, why (in your Accept-Language: en or zh), until when, how to clear."""
        return residents.my_status(
            db_session(),
            live=container().live,
            actor=current_principal(),
            language=language(),
            now=now(),
        )


@blp.route("/history")
class MyHistory(MethodView):
    @allow(Role.RESIDENT)
    @blp.response(200, HistorySchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Your colour changes with their reasons, newest first."""
        return residents.my_history(db_session(), actor=current_principal(), language=language())
