"""The app a job runs in: the worker's own app context, or one built once per process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context

from app.extensions import Container

_app: Flask | None = None


@contextmanager
def job_container() -> Iterator[Container]:
    """The container of the current app (tests, `flask worker`) or of a lazily built one."""
    global _app
    if has_app_context():
        yield current_app.extensions["healthcode"]
        return
    if _app is None:
        from app import create_app

        _app = create_app()
    with _app.app_context():
        yield _app.extensions["healthcode"]


def _after_fork() -> None:
    # A forked work-horse must not share pooled connections with its parent.
    if has_app_context():
        current_app.extensions["healthcode"].db.engine.dispose(close=False)
    if _app is not None:
        _app.extensions["healthcode"].db.engine.dispose(close=False)


os.register_at_fork(after_in_child=_after_fork)
