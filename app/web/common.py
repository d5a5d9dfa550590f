"""Shared pieces of the web clients: security headers, language choice, page rendering."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Flask, Response, render_template, request

from app.security.access import allow

F = TypeVar("F", bound=Callable[..., Any])
LANGUAGES = ("en", "zh")
LANGUAGE_COOKIE = "hc_lang"
# Every web blueprint's name starts with this, so hooks and tests can tell pages from the API.
PREFIX = "web_"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
}

blp = Blueprint(
    f"{PREFIX}common",
    __name__,
    static_folder="static/common",
    static_url_path="/static/web/common",
    template_folder="templates",
)


def is_web_endpoint(endpoint: str | None) -> bool:
    """True for the endpoints of web pages and their static files (not the JSON API)."""
    return bool(endpoint) and str(endpoint).startswith(PREFIX)


def language() -> str:
    """The page language: the switch's cookie, else the best Accept-Language match, else en."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES) or "en"


def page(template: str, **context: Any) -> str:
    """Render a client page shell in the chosen language."""
    return render_template(template, lang=language(), **context)


def web_page(func: F) -> F:
    """Declare a page public: it is a shell without data (the role matrix reads this)."""
    return allow(public=True)(func)


def _security_headers(response: Response) -> Response:
    if is_web_endpoint(request.endpoint):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html":
            response.headers["Cache-Control"] = "no-cache"
            response.vary.add("Accept-Language")
            response.vary.add("Cookie")
    return response


def init_web(app: Flask) -> None:
    """Install the hooks every web page shares."""
    app.after_request(_security_headers)
