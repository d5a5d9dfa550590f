"""HTTP edges: bounded path integers, no NUL in paths or queries, and safe response headers."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, request
from flask_smorest import Api
from werkzeug.routing import IntegerConverter

from app.errors import FieldError, NotFound, ServiceError

INT32_MAX = 2**31 - 1
_API_PREFIXES = ("/v1/", "/healthz", "/readyz")


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` limited to the range of a 32-bit column: larger numbers are a plain 404."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INT32_MAX)
        super().__init__(map, *args, **kwargs)


def _int_param(converter: BoundedIntConverter) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer", "minimum": max(converter.min or 0, 0)}
    if converter.max is not None:
        schema["maximum"] = converter.max
    return schema


def _refuse_nul() -> None:
    """NUL cannot be stored in PostgreSQL text: refuse it in the path and the query."""
    if "\x00" in request.path:
        raise NotFound("No such resource.")
    bad = [name for name, value in request.args.items(multi=True) if "\x00" in name + value]
    if bad:
        raise ServiceError(
            "The query holds a NUL character.",
            [
                FieldError(f"/query/{name.replace(chr(0), '')}", "NUL is not allowed.")
                for name in bad
            ],
        )


def _headers(response: Response) -> Response:
    """nosniff everywhere; no-store on anything personal (authenticated or a login answer),
    whatever the view set: views of authenticated answers leave Cache-Control to this hook.

    Public API answers that set their own Cache-Control (the trust bundle) keep it; other
    API answers default to no-store too.
    """
    response.headers["X-Content-Type-Options"] = "nosniff"
    personal = g.get("principal") is not None or request.path.startswith("/v1/auth/")
    api = request.path.startswith(_API_PREFIXES)
    if personal or (api and "Cache-Control" not in response.headers):
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask, api: Api) -> None:
    """Install the converter (before any route is added) and the request/response guards."""
    app.url_map.converters["int"] = BoundedIntConverter
    api.register_converter(BoundedIntConverter, _int_param)
    app.before_request(_refuse_nul)
    app.after_request(_headers)
