"""A resident's signed health code, as text and as QR images."""

from __future__ import annotations

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api.codes.schemas import CodeSchema
from app.extensions import container, db_session, now
from app.models import IssuedCode, Role
from app.security.access import allow, current_principal
from app.services import codes

blp = Blueprint("codes", __name__, url_prefix="/v1/me", description="The resident's health code")


def _current() -> IssuedCode:
    c = container()
    return codes.current_code(db_session(), c.keyring, c.settings, current_principal(), now())


def _image(kind: str, mimetype: str) -> Response:
    code = _current()
    etag = f'"{code.id}-{kind}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = current_app.response_class(status=304)
    else:
        response = current_app.response_class(
            codes.code_image(db_session(), code, kind), mimetype=mimetype
        )
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Code-Expires-At"] = code.expires_at.isoformat()
    return response


@blp.route("/code")
class Code(MethodView):
    @allow(Role.RESIDENT)
    @blp.response(200, CodeSchema)
    def get(self) -> IssuedCode:
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
