"""Browser clients served by the app itself: one blueprint per client, same origin as the API.

Pages are public shells (HTML, JS, CSS, no data); the data comes from the JSON API with a bearer
token the page keeps in memory and sessionStorage. Shared pieces live in `app.web.common`.
"""

from __future__ import annotations

from flask import Flask

from app.web.common import blp as common
from app.web.common import init_web
from app.web.console import blp as console
from app.web.devtools import blp as dev
from app.web.docs import blp as docs
from app.web.resident import blp as resident
from app.web.scanner import blp as scanner


def register_web(app: Flask) -> None:
    """Register the web blueprints and their security headers on the app."""
    init_web(app)
    for blueprint in (common, docs, dev, resident, console, scanner):
        app.register_blueprint(blueprint)
