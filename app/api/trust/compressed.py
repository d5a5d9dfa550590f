"""Compressed trust documents, made once per state and kept for the next devices that sync."""

from __future__ import annotations

import gzip
from collections import OrderedDict
from collections.abc import Callable
from threading import Lock
from typing import Any

from flask import Request

from app.services.trust import SignedDocument

_KEPT = 16
_cache: OrderedDict[tuple[str, str], bytes] = OrderedDict()
_lock = Lock()


def accepts_gzip(request: Request) -> bool:
    """Whether the client takes a gzip-encoded body (Accept-Encoding)."""
    return request.accept_encodings["gzip"] > 0


def body(doc: SignedDocument, dumps: Callable[[Any], str], *, gzip_ok: bool) -> tuple[bytes, bool]:
    """The document's bytes, gzip-compressed when the client accepts it; whether they are."""
    raw = dumps(doc.document).encode()
    if not gzip_ok:
        return raw, False
    # the signature names the exact signed document (a payload prefix does not: two states
    # with one seq and signed time, e.g. after the root key changed, share their first bytes)
    key = (doc.etag, str(doc.document.get("signature", "")))
    with _lock:
        kept = _cache.get(key)
    if kept is None:
        kept = gzip.compress(raw, compresslevel=9, mtime=0)
        with _lock:
            _cache[key] = kept
            while len(_cache) > _KEPT:
                _cache.popitem(last=False)
    return kept, True
