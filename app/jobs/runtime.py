"""The app a job runs in: the worker's app context (`flask --app wsgi worker`, or a test's)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, has_app_context

from app.extensions import Container


@contextmanager
def job_container() -> Iterator[Container]:
    """The container of the current app; jobs run under `flask --app wsgi worker`."""
    if not has_app_context():
        raise RuntimeError("Healthcode jobs run in an app context: use 'flask --app wsgi worker'.")
    yield current_app.extensions["healthcode"]


def dispose_after_fork(container: Container) -> None:
    """A forked child (RQ's scheduler process) must not share pooled connections with its
    parent."""
    container.db.engine.dispose(close=False)
