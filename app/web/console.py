"""The officials' console at /console/: dashboard, regions, rules, feeds, people, admin."""

from __future__ import annotations

from flask import Blueprint

from app.web.common import PREFIX, page, web_page

blp = Blueprint(
    f"{PREFIX}console",
    __name__,
    url_prefix="/console",
    static_folder="static/console",
    static_url_path="/static",
)


@blp.get("/")
@web_page
def index() -> str:
    """The console shell."""
    return page("web/console.html")
