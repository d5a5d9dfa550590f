"""The offline scanner at /scan/ for checkpoint staff and venue operators (an installable PWA).

Everything under /scan/ (page, manifest, service worker, static files) so that the service
worker's scope covers the whole client. Codes are verified in the browser against the signed
trust bundle; the server only serves files here.
"""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory

from app.web.common import PREFIX, page, web_page

blp = Blueprint(
    f"{PREFIX}scan",
    __name__,
    url_prefix="/scan",
    static_folder="static/scan",
    static_url_path="/static",
)


def _file(name: str, mimetype: str) -> Response:
    response = send_from_directory(blp.static_folder or "", name, mimetype=mimetype, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@blp.get("/")
@web_page
def index() -> str:
    """The scanner shell."""
    return page("web/scan.html")


@blp.get("/sw.js")
@web_page
def service_worker() -> Response:
    """The service worker, served from /scan/ so that its scope is /scan/."""
    return _file("sw.js", "text/javascript")


@blp.get("/manifest.webmanifest")
@web_page
def manifest() -> Response:
    """The web app manifest (installable, standalone, scope /scan/)."""
    return _file("manifest.webmanifest", "application/manifest+json")
