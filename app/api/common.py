"""Schema pieces shared by the API areas."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import marshmallow as ma
from flask import request

from app.extensions import container

F = TypeVar("F", bound=Callable[..., Any])


class StrictSchema(ma.Schema):
    """Input schema that rejects unknown fields."""

    class Meta:
        unknown = ma.RAISE


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details (documentation only)."""

    type = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    instance = ma.fields.String()
    errors = ma.fields.List(ma.fields.Dict())


def body_limit(setting: str) -> Callable[[F], F]:
    """Raise this endpoint's request-size cap to the named setting (bytes)."""

    def decorator(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            request.max_content_length = getattr(container().settings, setting)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
