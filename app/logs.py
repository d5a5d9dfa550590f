"""Structured JSON logs carrying the request id; secrets never reach them."""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_SENSITIVE_KEYS = ("password", "token", "secret", "otp", "id_number", "authorization")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is None and has_request_context():
            request_id = getattr(g, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key in _RESERVED or key.startswith("_") or key == "request_id":
                continue
            if any(s in key.lower() for s in _SENSITIVE_KEYS):
                value = "[redacted]"
            entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


_base_factory = logging.getLogRecordFactory()


def _record_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    if has_request_context() and not hasattr(record, "request_id"):
        record.request_id = g.get("request_id")
    return record


def configure_logging(level: str = "INFO", json_lines: bool = True) -> None:
    """Send the healthcode loggers to stderr, as JSON lines unless told otherwise."""
    if logging.getLogRecordFactory() is not _record_factory:
        logging.setLogRecordFactory(_record_factory)
    root = logging.getLogger("healthcode")
    root.setLevel(level.upper())
    if not any(getattr(h, "_healthcode", False) for h in root.handlers):
        stream = logging.StreamHandler(sys.stderr)
        stream._healthcode = True  # type: ignore[attr-defined]
        root.addHandler(stream)
    for handler in root.handlers:
        if getattr(handler, "_healthcode", False):
            handler.setFormatter(
                JsonFormatter() if json_lines else logging.Formatter("%(levelname)s %(message)s")
            )
    root.propagate = False


def init_request_logging(app: Flask) -> None:
    """Assign each request an id (or accept a sane X-Request-ID) and log one access line."""
    access = logging.getLogger("healthcode.access")

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else secrets.token_hex(8)
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = getattr(g, "request_id", None)
        if request_id:
            response.headers["X-Request-ID"] = request_id
        if response.status_code not in (429, 503):
            response.headers.pop("Retry-After", None)
        started = getattr(g, "started", None)
        access.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2)
                if started
                else None,
                "principal": getattr(g, "principal_label", None),
            },
        )
        return response
