"""The resident's mini-app at /app/: login by SMS code, profile, the live health code."""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory

from app.web.common import PREFIX, page, web_page

blp = Blueprint(
    f"{PREFIX}resident",
    __name__,
    url_prefix="/app",
    static_folder="static/resident",
    static_url_path="/static",
)


@blp.get("/")
@web_page
def index() -> str:
    """The mini-app shell."""
    return page("web/resident.html")


@blp.get("/sw.js")
@web_page
def service_worker() -> Response:
    """The service worker, served from /app/ so its scope covers the app."""
    response = send_from_directory(blp.static_folder or "", "sw.js", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/app/"
    return response
