"""Strict JSON decoding: values no column can store become 400 problems with a pointer."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from functools import cache
from typing import Any

import marshmallow as ma
from flask import Request
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from app.errors import FieldError, ServiceError

# The widest integer any field stores (a signed 64-bit column); JSON allows more, we do not.
INT_LIMIT = 2**63


class _Bad:
    """A value the decoder replaced because it cannot be stored; `why` says what it was."""

    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why


def _int(text: str) -> int | _Bad:
    if len(text) > 20:  # checked before int(): huge digit strings cost quadratic time
        return _Bad("integer out of range")
    value = int(text)
    return value if -INT_LIMIT <= value < INT_LIMIT else _Bad("integer out of range")


def _float(text: str) -> float | _Bad:
    value = float(text) if len(text) <= 64 else math.inf
    return value if math.isfinite(value) else _Bad("number out of range")


def _constant(name: str) -> _Bad:
    return _Bad(f"{name} is not JSON")


# Number hooks that mark out-of-range values instead of keeping them (one decoder: it keeps
# no state between documents).
_DECODER = json.JSONDecoder(parse_int=_int, parse_float=_float, parse_constant=_constant)


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "NUL characters are not allowed"
    if text.isascii():  # no surrogates in ASCII
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "unpaired surrogate (not valid Unicode text)"
    return None


def _find(value: Any) -> tuple[list[str], str] | None:
    """The first problem in a decoded document, depth first, with the keys leading to it
    (innermost first: a pointer is only built for a problem)."""
    if type(value) is str:
        problem = _text_problem(value)
        return ([], problem) if problem else None
    if isinstance(value, _Bad):
        return [], value.why
    if isinstance(value, Mapping):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if isinstance(key, str) and (problem := _text_problem(key)):
            return [key], f"field name: {problem}"
        found = _find(item)
        if found:
            found[0].append(str(key))
            return found
    return None


def _pointer(keys: list[str]) -> str:
    """The JSON pointer (RFC 6901) of keys given innermost first."""
    return "".join("/" + k.replace("~", "~0").replace("/", "~1") for k in reversed(keys)) or "/"


def load_strict_json(data: bytes) -> Any:
    """Decode a JSON body, marking numbers no column can hold instead of keeping them.

    Marked: integers outside the signed 64-bit range (including the >4,300-digit ones
    Python itself refuses to convert), NaN/Infinity and overflowing floats. Malformed JSON
    raises json.JSONDecodeError. `refuse_unstorable` then reports marks, NUL characters and
    unpaired surrogates with a pointer.
    """
    return _DECODER.decode(_decode(data))


def refuse_unstorable(data: Any, *, skip: frozenset[str] = frozenset()) -> None:
    """Raise a 400 ServiceError pointing at the first value that cannot be stored.

    `skip` names top-level fields whose items the service validates one by one (a feed's
    records are rejected per record, not per batch).
    """
    if isinstance(data, Mapping) and skip:
        data = {k: v for k, v in data.items() if k not in skip}
    found = _find(data)
    if found:
        keys, problem = found
        raise ServiceError(
            "The request holds a value that is not accepted.", [FieldError(_pointer(keys), problem)]
        )


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise json.JSONDecodeError(f"Bytes decoding error : {exc.reason}", "", exc.start) from exc


class StrictParser(FlaskParser):
    """webargs' Flask parser with the strict JSON decoder."""

    def _get_schema(self, argmap: Any, req: Request) -> ma.Schema:
        """One instance per schema class (webargs makes one per request; ours keep no state
        between loads, and building one costs as much as the load)."""
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            return _instance(argmap)
        return super()._get_schema(argmap, req)

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req):
            return core.missing
        return load_strict_json(req.get_data(cache=True))


@cache
def _instance(schema: type[ma.Schema]) -> ma.Schema:
    return schema()
