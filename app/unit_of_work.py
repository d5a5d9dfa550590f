"""One unit of work per request or job: services flush, the unit commits once, then acts.

Services take a `Session`, change rows and at most `session.flush()`; they never commit or
roll back. A `UnitOfWork` owns the session: `finish()` commits it (or rolls it back after an
error), and only after a commit runs the actions registered with `after_commit` and sends the
outbox entries registered with `send_after_commit` to the queue. A rollback drops both.

A `ServiceError` raised with `keep_changes=True` (a burnt one-time code, an audited failed
look-up) still commits what was written before it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from app.errors import ServiceError

log = logging.getLogger("healthcode.uow")
_ACTIONS = "healthcode.after_commit"
_ENTRIES = "healthcode.outbox"

Action = Callable[[], object]


class Sender(Protocol):
    """What sends committed outbox entries to the queue (`app.services.outbox.Relay`)."""

    def send(self, session: Session, entry_ids: Sequence[int]) -> int:
        """Enqueue entries committed as sent; flush those it could not send back to unsent
        (the caller commits)."""
        ...


def after_commit(session: Session, action: Action) -> None:
    """Run `action` once the unit of work owning `session` has committed (never on rollback)."""
    session.info.setdefault(_ACTIONS, []).append(action)


def send_after_commit(session: Session, entry: Any) -> None:
    """Send an outbox entry (added to `session`) to the queue once the unit commits."""
    session.info.setdefault(_ENTRIES, []).append(entry)


class UnitOfWork:
    """A session with one commit at the end and actions that run after it."""

    def __init__(self, session: Session, *, relay: Sender) -> None:
        self.session = session
        self._relay = relay

    def finish(self, error: BaseException | None = None) -> None:
        """Commit (no error, or one that keeps its changes) and act; otherwise roll back."""
        if error is None or (isinstance(error, ServiceError) and error.keep_changes):
            self.commit()
        else:
            self.rollback()

    def commit(self) -> None:
        """Commit once, then send the unit's outbox entries and run its after-commit actions."""
        if self.session.in_transaction():  # a request served from memory began none
            self.session.commit()
        entries = self.session.info.pop(_ENTRIES, [])
        actions: list[Action] = self.session.info.pop(_ACTIONS, [])
        if entries:
            try:
                self._relay.send(self.session, [e.id for e in entries])
                if self.session.in_transaction():
                    self.session.commit()  # entries Redis refused, unsent: the relay sends them
            except Exception:
                log.exception("could not send %d outbox entries; the relay will", len(entries))
                self.session.rollback()
        for action in actions:
            try:
                action()
            except Exception:
                log.exception("an after-commit action failed")

    def rollback(self) -> None:
        """Roll back and drop everything registered to run after commit."""
        self.session.rollback()
        self.session.info.pop(_ENTRIES, None)
        self.session.info.pop(_ACTIONS, None)

    def close(self) -> None:
        """Close the session (rolling back anything not finished). A session that holds no
        transaction and no objects (a request answered from memory) has nothing to release:
        it is left to the garbage collector (`close()` would only rebuild its empty identity
        map, about 15-20 us of a hot request under load)."""
        session = self.session
        session.info.pop(_ENTRIES, None)
        session.info.pop(_ACTIONS, None)
        if session.in_transaction() or session.identity_map or session.new:
            session.close()


@contextmanager
def unit_of_work(sessions: sessionmaker[Session], *, relay: Sender) -> Iterator[UnitOfWork]:
    """A unit of work for a block (a job, a command): finished on exit, then closed."""
    uow = UnitOfWork(sessions(), relay=relay)
    try:
        yield uow
    except BaseException as exc:
        uow.finish(exc)
        raise
    else:
        uow.finish()
    finally:
        uow.close()
