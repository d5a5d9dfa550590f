"""RFC 9457 problem+json responses for every error, including unexpected ones."""

from __future__ import annotations

import http
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import marshmallow as ma
from flask import Flask, Response, current_app, g, json, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException, InternalServerError

from app.errors import FieldError, ServiceError

PROBLEM_MIME = "application/problem+json"
TYPE_BASE = "https://healthcode.example/problems/"
log = logging.getLogger("healthcode.errors")

_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    428: "precondition-required",
    429: "rate-limited",
    500: "internal-error",
    503: "unavailable",
}


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    slug: str | None = None,
    errors: list[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    """Build a problem+json response."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + (slug or _SLUGS.get(status, "error")),
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body["instance"] = request.path if request else None
    if errors:
        body["errors"] = [{"pointer": e.pointer, "detail": e.detail} for e in errors]
    request_id = getattr(g, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    response = current_app.response_class(json.dumps(body), status=status, mimetype=PROBLEM_MIME)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    if status == 401 and "WWW-Authenticate" not in response.headers:
        response.headers["WWW-Authenticate"] = 'Bearer realm="healthcode"'
    return response


def flatten_messages(messages: Any, prefix: str = "") -> Iterator[FieldError]:
    """Turn marshmallow/webargs nested messages into JSON-pointer field errors."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            part = str(key).replace("~", "~0").replace("/", "~1")
            yield from flatten_messages(value, f"{prefix}/{part}")
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            for message in messages:
                yield FieldError(prefix or "/", message)
        else:
            for item in messages:
                yield from flatten_messages(item, prefix)
    else:
        yield FieldError(prefix or "/", str(messages))


def _location_errors(messages: Mapping[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    for location, content in messages.items():
        for err in flatten_messages(content):
            pointer = err.pointer if location == "json" else f"/{location}{err.pointer}"
            if location != "json" and err.pointer == "/":
                pointer = f"/{location}"
            errors.append(FieldError(pointer, err.detail))
    return errors


class FieldErrorSchema(ma.Schema):
    pointer = ma.fields.String(
        required=True, metadata={"description": "JSON pointer to the input at fault"}
    )
    detail = ma.fields.String(required=True)


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, as every error is answered (application/problem+json).

    Extension members are allowed (RFC 9457 §3.2), e.g. `failed` and `checks` on /readyz.
    """

    class Meta:
        unknown = ma.INCLUDE

    type = ma.fields.String(required=True, metadata={"format": "uri"})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True, metadata={"minimum": 400, "maximum": 599})
    detail = ma.fields.String()
    instance = ma.fields.String(allow_none=True)
    request_id = ma.fields.String()
    errors = ma.fields.List(ma.fields.Nested(FieldErrorSchema))


class ProblemApi(Api):  # type: ignore[misc]
    """flask-smorest Api whose HTTP errors are RFC 9457 problems, and documented as such."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        """Every error response in the OpenAPI document is problem+json with ProblemSchema."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_MIME)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Any error (RFC 9457 problem)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MIME)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)

    def handle_http_exception(self, error: HTTPException) -> Response:
        """Render any HTTPException (including webargs validation aborts) as a problem."""
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        headers = dict(data.get("headers") or {})
        if hasattr(error, "get_headers"):
            for key, value in error.get_headers():
                if key.lower() != "content-type":
                    headers.setdefault(key, value)
        errors: list[FieldError] = []
        messages = data.get("errors") or data.get("messages")
        if isinstance(messages, Mapping):
            errors = _location_errors(messages)
        detail = data.get("message")
        if status == 400 and any(e.detail == "Invalid JSON body." for e in errors):
            return problem(400, "Malformed JSON", "The request body is not valid JSON.")
        if status == 422 and errors and not detail:
            detail = "The request did not pass validation; see errors."
        if status >= 500:
            return problem(status, "Internal server error", "An unexpected error occurred.")
        title = error.name or "Error"
        if not detail and status not in (404, 405):
            detail = error.description
        if status == 404 and not detail:
            detail = "No such resource."
        if status == 405:
            detail = f"{request.method} is not allowed here."
        return problem(status, title, detail, errors=errors or None, headers=headers)


def register_error_handlers(app: Flask) -> None:
    """Map domain errors and unexpected exceptions to problems."""

    @app.errorhandler(ServiceError)
    def _service_error(error: ServiceError) -> Response:
        return problem(
            error.status,
            error.title,
            error.detail,
            slug=error.type_slug,
            errors=error.errors,
            headers=getattr(error, "headers", None),
        )

    @app.errorhandler(RecursionError)
    def _too_deep(_error: RecursionError) -> Response:
        return problem(400, "Bad request", "The request body is nested too deeply.")

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return app.extensions["healthcode"].api.handle_http_exception(error)  # type: ignore[no-any-return]
        log.exception("unhandled error", extra={"error_type": type(error).__name__})
        return problem(500, "Internal server error", "An unexpected error occurred.")

    @app.errorhandler(InternalServerError)
    def _internal(error: InternalServerError) -> Response:
        original = getattr(error, "original_exception", None)
        if original is not None:
            log.error(
                "unhandled error",
                exc_info=original,
                extra={"error_type": type(original).__name__},
            )
        return problem(500, "Internal server error", "An unexpected error occurred.")
