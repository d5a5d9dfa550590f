"""Hot reads answered from process memory, dropped at once when a commit changes them.

A code fetch, a status poll, an online verification and a device's trust sync read a few rows
that change rarely (an account's standing, a person's reusable code, status view and revocation
cut-off, the live keys, the trust sequence number). Each API process keeps them here, tagged
by what they depend on: `("account", id)`, `("person", id)`, `("keys",)`, `("trust",)`.

Every commit that changes such rows drops their tags: ORM changes are seen at flush (`watch`),
set-based writes name what they change (`stale`). After the commit the tags are dropped in every
cache of this process synchronously, then published on a Redis channel; a listener thread in
every other process drops them as they arrive (about a millisecond later).

The cache answers only while its listener is subscribed: before the first subscription, after a
lost connection (until subscribed again, when it starts empty) and in a forked child it misses,
so callers read the database. A value read while a drop arrived is not stored (`token`/`put`),
and no entry outlives `max_age` even if a drop were lost.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable
from typing import Any, Final, TypeVar

from redis import Redis
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from app.models import (
    Account,
    CodeRevocation,
    IssuedCode,
    KeyRecord,
    Person,
    PersonStatus,
    TrustChange,
)

log = logging.getLogger("healthcode.live_cache")

Tag = tuple[str, ...]
T = TypeVar("T")
KEYS: Final[Tag] = ("keys",)
TRUST: Final[Tag] = ("trust",)
EVERYTHING: Final[Tag] = ("*",)
MISS: Final = object()
"""What `get` answers for a value it does not hold (None is a value: "no revocation")."""

_INFO = "healthcode.live_cache"
_STALE = "healthcode.live_cache.stale"
_MANY = 2000  # more person tags than this in one commit drop everything instead


def account(account_id: uuid.UUID) -> Tag:
    """The tag of what is cached about an account."""
    return ("account", str(account_id))


def person(person_id: uuid.UUID) -> Tag:
    """The tag of what is cached about a person (their code, status view, revocation cut-off)."""
    return ("person", str(person_id))


# What a changed ORM object makes stale.
_TAGS: dict[type, Callable[[Any], Tag]] = {
    Account: lambda row: account(row.id),
    Person: lambda row: person(row.id),
    PersonStatus: lambda row: person(row.person_id),
    IssuedCode: lambda row: person(row.person_id),
    CodeRevocation: lambda row: person(row.person_id),
    KeyRecord: lambda _row: EVERYTHING,  # a key's state decides which codes are reusable
    TrustChange: lambda _row: TRUST,
}


def stale_channel(redis: Redis, queue_name: str) -> str:
    """The channel of one deployment: its API processes and workers share the Redis database
    and the queue (they could not exchange jobs otherwise); Pub/Sub channels span databases."""
    db = redis.connection_pool.connection_kwargs.get("db", 0)
    return f"healthcode:stale:{db}:{queue_name}"


_caches: dict[str, weakref.WeakSet[LiveCache]] = {}
_caches_lock = threading.Lock()
_origins: dict[int, str] = {}


def _origin() -> str:
    """This process's name on the channel (its own drops were applied at commit already)."""
    pid = os.getpid()
    return _origins.setdefault(pid, f"{pid}:{uuid.uuid4().hex}")


class LiveCache:
    """One process's cached hot reads for one database, kept fresh by a Redis channel."""

    def __init__(
        self,
        redis: Redis,
        *,
        channel: str,
        max_age: float,
        max_entries: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.channel = channel
        self._redis = redis
        self._max_age = max_age
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[tuple[Tag, str], tuple[float, Any]] = {}
        self._by_tag: dict[Tag, set[str]] = {}
        self._lock = threading.Lock()
        self._generation = 0
        self._subscribed = False
        self._listener_pid = 0
        with _caches_lock:
            _caches.setdefault(channel, weakref.WeakSet()).add(self)

    # -- reading ---------------------------------------------------------------------------

    def get(self, tag: Tag, field: str, *, session: Session) -> Any:
        """The value kept for (tag, field), or MISS (always while `session` has changed what
        the tag covers and not committed yet: a unit of work reads its own writes)."""
        if not self.listening() or _pending(session, tag):
            return MISS
        found = self._entries.get((tag, field))
        if found is None or self._clock() - found[0] > self._max_age:
            return MISS
        return found[1]

    def token(self) -> int:
        """Take before reading the database; `put` stores only if no drop came in between."""
        return self._generation

    def put(self, tag: Tag, field: str, value: Any, *, token: int, session: Session) -> None:
        """Keep a value `session` read since `token` (ignored if anything was dropped
        meanwhile, while not subscribed, or if the session changed what the tag covers)."""
        if _pending(session, tag):
            return
        with self._lock:
            if not self._subscribed or token != self._generation:
                return
            if len(self._entries) >= self._max_entries:
                oldest_tag, oldest_field = next(iter(self._entries))
                self._forget(oldest_tag, oldest_field)
            self._entries[(tag, field)] = (self._clock(), value)
            self._by_tag.setdefault(tag, set()).add(field)

    def through(
        self,
        tag: Tag,
        field: str,
        *,
        session: Session,
        load: Callable[[], T],
        fresh: Callable[[T], bool] = lambda _value: True,
    ) -> T:
        """The value kept for (tag, field) if it is `fresh`, else `load()` (a read by
        `session`), kept if that is fresh."""
        kept = self.get(tag, field, session=session)
        if kept is not MISS and fresh(kept):
            return kept  # type: ignore[no-any-return]
        token = self.token()
        value = load()
        if fresh(value):
            self.put(tag, field, value, token=token, session=session)
        return value

    # -- dropping --------------------------------------------------------------------------

    def drop(self, tags: Iterable[Tag]) -> None:
        """Forget everything kept under these tags (in this cache only)."""
        with self._lock:
            self._generation += 1
            for tag in tags:
                if tag == EVERYTHING:
                    self._entries.clear()
                    self._by_tag.clear()
                    return
                for field in self._by_tag.pop(tag, ()):
                    self._entries.pop((tag, field), None)

    def announce(self, tags: set[Tag]) -> None:
        """After a commit: drop the tags in this process's caches now, then tell the others."""
        if sum(1 for tag in tags if tag[0] == "person") > _MANY:
            tags = {EVERYTHING}
        with _caches_lock:
            local = list(_caches.get(self.channel, ()))
        for cache in local:
            cache.drop(tags)
        try:
            message = {"origin": _origin(), "tags": sorted(tags)}
            self._redis.publish(self.channel, json.dumps(message))
        except Exception:  # other processes' entries then age out (max_age)
            log.exception("could not publish %d stale tags", len(tags))

    def _forget(self, tag: Tag, field: str) -> None:
        self._entries.pop((tag, field), None)
        fields = self._by_tag.get(tag)
        if fields is not None:
            fields.discard(field)
            if not fields:
                del self._by_tag[tag]

    # -- listening -------------------------------------------------------------------------

    def listening(self) -> bool:
        """Whether drops reach this cache; starts the listener on first use in a process."""
        if self._max_age <= 0:
            return False
        if self._listener_pid != os.getpid():  # first use, or a forked child
            with self._lock:
                if self._listener_pid != os.getpid():
                    self._subscribed = False
                    self._entries.clear()
                    self._by_tag.clear()
                    self._listener_pid = os.getpid()
                    threading.Thread(target=self._listen, name="live-cache", daemon=True).start()
        return self._subscribed

    def _listen(self) -> None:
        """Subscribe, apply drops as they come; on a lost connection miss until back."""
        pause = 0.1
        while True:  # a daemon thread: it ends with its process
            pubsub = self._redis.pubsub()  # type: ignore[no-untyped-call]
            try:
                pubsub.subscribe(self.channel)
                while True:
                    message = pubsub.get_message(timeout=1.0)
                    if message is None:
                        pubsub.check_health()
                    elif message["type"] == "subscribe":
                        self._set_subscribed(True)
                        pause = 0.1
                    elif message["type"] == "message":
                        self._received(json.loads(message["data"]))
            except Exception as exc:  # Redis away: answer nothing from memory until back
                self._set_subscribed(False)
                log.warning("live cache listener lost Redis (%s); retrying", exc)
                time.sleep(pause)
                pause = min(pause * 2, 5.0)
            finally:
                pubsub.close()

    def _received(self, message: dict[str, Any]) -> None:
        if message["origin"] != _origin():
            self.drop(tuple(tag) for tag in message["tags"])

    def _set_subscribed(self, subscribed: bool) -> None:
        with self._lock:
            self._subscribed = subscribed
            self._generation += 1
            self._entries.clear()
            self._by_tag.clear()


def watch(sessions: sessionmaker[Session], cache: LiveCache) -> None:
    """Make every commit of these sessions drop what it changed (ORM changes are seen at
    flush; set-based writes add theirs with `stale`); a rollback drops nothing."""
    sessions.configure(info={_INFO: cache})

    @event.listens_for(sessions, "after_flush")
    def _flushed(session: Session, _context: Any) -> None:
        tags = set()
        for row in (*session.new, *session.dirty, *session.deleted):
            tag_of = _TAGS.get(type(row))
            if tag_of is not None:
                tags.add(tag_of(row))
        stale(session, tags)

    @event.listens_for(sessions, "after_commit")
    def _committed(session: Session) -> None:
        tags = session.info.pop(_STALE, None)
        if tags:
            cache.announce(tags)

    @event.listens_for(sessions, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop(_STALE, None)


def _pending(session: Session, tag: Tag) -> bool:
    """Whether the session has uncommitted changes under this tag."""
    # Changes made but not flushed yet count too (dirty and deleted objects are among those
    # the session holds: an empty session skips building those two sets).
    if session.new or (session.identity_map and (session.dirty or session.deleted)):
        session.flush()
    pending: set[Tag] | None = session.info.get(_STALE)
    return pending is not None and (tag in pending or EVERYTHING in pending)


def stale(session: Session, tags: Iterable[Tag]) -> None:
    """Drop these tags when the session commits (for writes the ORM does not see)."""
    if _INFO in session.info:
        session.info.setdefault(_STALE, set()).update(tags)
