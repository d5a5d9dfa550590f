"""Schema pieces shared by the API areas."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import marshmallow as ma
from flask import request

from app.api.parsing import refuse_unstorable
from app.extensions import container
from app.services.residents import LANGUAGES

F = TypeVar("F", bound=Callable[..., Any])


class StrictSchema(ma.Schema):
    """Input schema that rejects unknown fields and values no column can store (400)."""

    # Top-level fields whose items the service validates one by one (per-item rejections).
    PER_ITEM: frozenset[str] = frozenset()

    class Meta:
        unknown = ma.RAISE

    @ma.pre_load
    def _refuse_unstorable(self, data: Any, **_kwargs: Any) -> Any:
        refuse_unstorable(data, skip=self.PER_ITEM)
        return data


class ReasonSchema(ma.Schema):
    rule_id = ma.fields.String()
    color = ma.fields.String()
    text = ma.fields.String()
    since = ma.fields.String(allow_none=True)
    until = ma.fields.String(allow_none=True)
    how_to_clear = ma.fields.String()


class StatusSchema(ma.Schema):
    """A colour with its reasons (a resident's own, or a person's for officials)."""

    color = ma.fields.String()
    valid_until = ma.fields.DateTime(allow_none=True)
    rule_set_version = ma.fields.Integer(allow_none=True)
    reasons = ma.fields.List(ma.fields.Nested(ReasonSchema))
    since = ma.fields.DateTime(allow_none=True)
    updated_at = ma.fields.DateTime(allow_none=True)


def language() -> str:
    """The caller's language for reasons (Accept-Language: en or zh)."""
    return request.accept_languages.best_match(LANGUAGES) or "en"


def body_limit(setting: str) -> Callable[[F], F]:
    """Raise this endpoint's request-size cap to the named setting (bytes)."""

    def decorator(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            request.max_content_length = getattr(container().settings, setting)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
