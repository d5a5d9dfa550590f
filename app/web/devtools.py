"""Development-only pages: the last SMS messages the console backend sent (404 in production)."""

from __future__ import annotations

from flask import Blueprint, abort

from app.extensions import container
from app.web.common import PREFIX, page, web_page

blp = Blueprint(f"{PREFIX}dev", __name__, url_prefix="/dev")


@blp.get("/sms")
@web_page
def sms() -> str:
    """The last messages of the console SMS backend, newest first; refreshes itself."""
    c = container()
    recent = getattr(c.sms, "recent", None)
    if c.settings.production or recent is None:
        abort(404)
    return page("web/dev_sms.html", messages=recent())
