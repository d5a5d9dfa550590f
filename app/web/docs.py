"""Swagger UI at /docs, served from the swagger-ui-bundle package (works offline)."""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from app.web.common import PREFIX, page, web_page

ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png")

blp = Blueprint(
    f"{PREFIX}docs", __name__, static_folder="static/docs", static_url_path="/docs/static"
)


@blp.get("/docs")
@web_page
def index() -> str:
    """Swagger UI over /openapi.json."""
    return page("web/docs.html")


@blp.get("/docs/assets/<string:name>")
@web_page
def asset(name: str) -> Response:
    """One of Swagger UI's own files, from the installed package."""
    if name not in ASSETS:
        return Response(status=404)
    return send_from_directory(swagger_ui_path, name, max_age=86400)
