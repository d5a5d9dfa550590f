"""The signed trust bundle: keys, revocations, sequence number and a signed time."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app import live_cache
from app.config import Settings
from app.errors import FieldError, InvalidInput, NotFound
from app.live_cache import TRUST, LiveCache
from app.models import CodeRevocation, IssuedCode, Person, TrustChange
from app.principal import Principal
from app.services import audit
from app.services.keys import BUNDLE, Keyring, verification_keys
from app.services.subjects import subject_of
from app.services.trust_lock import lock_trust
from app.states import TrustChangeKind
from codes import (
    HEALTH,
    BundleDelta,
    Revocation,
    TrustBundle,
    revocation_hash,
    sign_bundle,
    sign_delta,
    split_removed,
)

# Signed times are floored to this step so that unchanged bundles keep their ETag for a while
# yet a device that syncs is never more than one step behind.
SIGNED_TIME_STEP = timedelta(minutes=5)
LEEWAY = timedelta(minutes=2)  # verifiers accept a code up to 60 s after its expiry


@dataclass(frozen=True)
class SignedDocument:
    """A signed bundle or delta and its entity tag."""

    document: dict[str, Any]
    etag: str
    seq: int


def current_seq(session: Session) -> int:
    """The bundle's sequence number: the newest trust change."""
    return int(session.scalar(select(func.coalesce(func.max(TrustChange.seq), 0))) or 0)


def _signed_time(now: datetime) -> datetime:
    step = int(SIGNED_TIME_STEP.total_seconds())
    return datetime.fromtimestamp(int(now.timestamp()) // step * step, UTC)


def _revocations(session: Session, *, since: int | None = None) -> tuple[Revocation, ...]:
    query = select(CodeRevocation).order_by(CodeRevocation.person_id)
    if since is not None:
        query = query.where(CodeRevocation.seq > since)
    # Person revocations withdraw health codes (the only kind the app issues so far).
    return tuple(
        Revocation(HEALTH.name, subject_of(r.person_id), r.before) for r in session.scalars(query)
    )


def build_bundle(
    session: Session, *, keyring: Keyring, settings: Settings, now: datetime
) -> TrustBundle:
    """The unsigned bundle for the current state (also used for online verification)."""
    return TrustBundle(
        seq=current_seq(session),
        issued_at=_signed_time(now),
        keys=verification_keys(session, keyring=keyring),
        revocations=_revocations(session),
        max_offline_age=timedelta(seconds=settings.trust_max_offline_age),
    )


def _etag(seq: int, signed_at: datetime) -> str:
    """Weak tag of the state (seq and signed time): equal for a full bundle and any delta."""
    return f'W/"{seq}.{int(signed_at.timestamp())}"'


def _kept(
    session: Session,
    *,
    live: LiveCache,
    field: str,
    now: datetime,
    make: Callable[[], SignedDocument],
) -> SignedDocument:
    """A signed document of the current state, made once per process and state: every
    device that syncs after a change or a new signed time gets the same bytes."""
    etag = state_etag(session, live=live, now=now)
    return live.through(
        TRUST, field, session=session, load=make, fresh=lambda doc: doc.etag == etag
    )


def signed_bundle(
    session: Session, *, live: LiveCache, keyring: Keyring, settings: Settings, now: datetime
) -> SignedDocument:
    """The full signed bundle and its ETag (seq and signed time)."""
    return _kept(
        session,
        live=live,
        field="bundle",
        now=now,
        make=lambda: _signed_bundle(session, keyring=keyring, settings=settings, now=now),
    )


def _signed_bundle(
    session: Session, *, keyring: Keyring, settings: Settings, now: datetime
) -> SignedDocument:
    bundle = build_bundle(session, keyring=keyring, settings=settings, now=now)
    _record, root = keyring.active(session, BUNDLE)
    return SignedDocument(
        sign_bundle(bundle, root), _etag(bundle.seq, bundle.issued_at), bundle.seq
    )


def signed_delta(
    session: Session,
    *,
    live: LiveCache,
    keyring: Keyring,
    settings: Settings,
    since: int,
    cutoffs: bool,
    now: datetime,
) -> SignedDocument:
    """A signed delta from sequence `since` to now. With `cutoffs` (a client that applies
    them) pruned entries go by a per-kind cut-off time; otherwise each is listed by hash, as
    verifiers written before cut-offs expect."""
    return _kept(
        session,
        live=live,
        field=f"delta {since} {cutoffs}",
        now=now,
        make=lambda: _signed_delta(
            session, keyring=keyring, settings=settings, since=since, cutoffs=cutoffs, now=now
        ),
    )


def _signed_delta(
    session: Session,
    *,
    keyring: Keyring,
    settings: Settings,
    since: int,
    cutoffs: bool,
    now: datetime,
) -> SignedDocument:
    # The earliest entry first. On PostgreSQL each read below sees what has committed by
    # then; an entry's before only rises and entries go only by a logged prune, so this
    # minimum stays a safe cut-off for every entry a device holds from `since` unchanged
    # (a revocation changed later is in `added` and put back after the cut-off).
    earliest = session.scalar(select(func.min(CodeRevocation.before))) if cutoffs else None
    seq = current_seq(session)
    if since > seq:
        raise InvalidInput(
            "Unknown sequence number.",
            [FieldError("/query/since", f"The newest sequence number is {seq}.")],
        )
    dropped = session.execute(
        select(TrustChange.subject, TrustChange.before).where(
            TrustChange.seq > since, TrustChange.kind == TrustChangeKind.REVOCATION_DROPPED
        )
    ).all()
    added = _revocations(session, since=since)
    still_revoked = {r.subject for r in added}
    # Per subject, the latest before it was dropped with (None: not known, list its hash).
    drops: dict[str, datetime | None] = {}
    for subject, before in dropped:
        if subject and subject not in still_revoked:
            known = drops.get(subject, before)
            drops[subject] = None if before is None or known is None else max(before, known)
    gone = ((HEALTH.name, revocation_hash(HEALTH.name, s), b) for s, b in drops.items())
    if cutoffs:
        expired, removed = split_removed(
            gone, earliest_kept={} if earliest is None else {HEALTH.name: earliest}
        )
    else:
        expired, removed = (), tuple(sorted((kind, digest) for kind, digest, _ in gone))
    delta = BundleDelta(
        base_seq=since,
        seq=seq,
        issued_at=_signed_time(now),
        keys=verification_keys(session, keyring=keyring),
        revocations_added=added,
        revocations_removed=removed,
        revocations_expired=expired,
        max_offline_age=timedelta(seconds=settings.trust_max_offline_age),
    )
    _record, root = keyring.active(session, BUNDLE)
    return SignedDocument(sign_delta(delta, root), _etag(seq, delta.issued_at), seq)


def _before(now: datetime) -> datetime:
    """Revoke up to the next whole second of the later of `now` and the wall clock.

    A job's `now` is taken when it starts; a code issued while it ran must be covered too.
    """
    latest = max(now, datetime.now(UTC))
    return datetime.fromtimestamp(int(latest.timestamp()) + 1, UTC)


def _never_lower(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(CodeRevocation)
    keep = func.greatest if dialect == "postgresql" else func.max
    return insert.on_conflict_do_update(
        index_elements=["person_id"],
        set_={
            "before": keep(CodeRevocation.before, insert.excluded.before),
            "reason": insert.excluded.reason,
            "seq": insert.excluded.seq,
            "drop_after": keep(CodeRevocation.drop_after, insert.excluded.drop_after),
            "updated_at": insert.excluded.updated_at,
        },
    )


def holders(session: Session, *, person_ids: list[uuid.UUID], now: datetime) -> list[uuid.UUID]:
    """The people among these who hold a code that has not expired (one indexed read each)."""
    found: set[uuid.UUID] = set()
    for start in range(0, len(person_ids), 1000):
        part = person_ids[start : start + 1000]
        found.update(
            session.scalars(
                select(IssuedCode.person_id)
                .where(IssuedCode.person_id.in_(part), IssuedCode.expires_at > now - LEEWAY)
                .distinct()
            )
        )
    return [pid for pid in person_ids if pid in found]


def state_etag(session: Session, *, live: LiveCache, now: datetime) -> str:
    """The ETag the bundle (or any delta) would have now: no signing, and the sequence
    number from the live cache (dropped by every trust change) or one indexed read."""
    seq = live.through(TRUST, "seq", session=session, load=lambda: current_seq(session))
    return _etag(seq, _signed_time(now))


def revoke_people(
    session: Session,
    *,
    settings: Settings,
    person_ids: list[uuid.UUID],
    reason: str,
    now: datetime,
) -> None:
    """Withdraw every code issued until now of many people at once (not committed).

    Only people holding an unexpired code get an entry: a revocation of nobody's code would
    only make every checkpoint's bundle bigger.
    """
    person_ids = holders(session, person_ids=person_ids, now=now)
    if not person_ids:
        return
    lock_trust(session)
    before = _before(now)
    change = TrustChange(kind=TrustChangeKind.REVOCATION, subject=None, at=now)
    session.add(change)
    session.flush()
    drop_after = before + timedelta(seconds=settings.code_ttl + 600)
    rows = [
        {
            "person_id": pid,
            "before": before,
            "reason": reason,
            "seq": change.seq,
            "drop_after": drop_after,
            "updated_at": now,
        }
        for pid in person_ids
    ]
    session.connection().execute(_never_lower(session), rows)
    live_cache.stale(session, map(live_cache.person, person_ids))


def withdraw_codes(
    session: Session, *, settings: Settings, actor: Principal, person_id: uuid.UUID, now: datetime
) -> None:
    """An official withdraws a person's outstanding codes; audited."""
    if session.get(Person, person_id) is None:
        raise NotFound("No such person.")
    revoke_people(session, settings=settings, person_ids=[person_id], reason="withdrawn", now=now)
    audit.record(
        session,
        actor=actor,
        action="codes.withdraw",
        target_type="person",
        target_id=str(person_id),
    )
    session.flush()


def prune(session: Session, *, now: datetime) -> int:
    """Drop revocation entries that no longer cover any valid code."""
    lock_trust(session)
    expired = session.execute(
        delete(CodeRevocation)
        .where(CodeRevocation.drop_after <= now)
        .returning(CodeRevocation.person_id, CodeRevocation.before)
    ).all()
    live_cache.stale(session, (live_cache.person(person_id) for person_id, _ in expired))
    for person_id, before in expired:
        session.add(
            TrustChange(
                kind=TrustChangeKind.REVOCATION_DROPPED,
                subject=subject_of(person_id),
                before=before,
                at=now,
            )
        )
    session.flush()
    return len(expired)
