"""The keyring: code-signing keys (rotated, revocable) and the bundle-signing root key."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.errors import NotFound, Unavailable
from app.models import KeyRecord, RootHandover, TrustChange
from app.principal import Principal
from app.services import audit
from app.services.trust_lock import lock_trust
from app.states import KeyPurpose, KeyStatus, TrustChangeKind
from app.unit_of_work import after_commit
from codes import SigningKey, VerificationKey
from codes.handover import sign_handover

CODE, BUNDLE = KeyPurpose.CODE, KeyPurpose.BUNDLE
ACTIVE, RETIRED, REVOKED, EXPIRED = (
    KeyStatus.ACTIVE,
    KeyStatus.RETIRED,
    KeyStatus.REVOKED,
    KeyStatus.EXPIRED,
)


class Keyring:
    """Decrypts each private key once per process and keeps it in memory."""

    def __init__(self, passphrase: str) -> None:
        self._passphrase = passphrase.encode()
        self._cache: dict[uuid.UUID, SigningKey] = {}
        self._public: dict[tuple[uuid.UUID, datetime | None], VerificationKey] = {}
        self._lock = threading.Lock()

    def verification_key(self, record: KeyRecord) -> VerificationKey:
        """The public key of a record, with its current not-after (cached)."""
        return self.public_key(record.id, record.not_after, record.public_jwk)

    def public_key(
        self, key_id: uuid.UUID, not_after: datetime | None, jwk: dict[str, Any]
    ) -> VerificationKey:
        """The public key stored as `jwk` under `key_id`, with its not-after (cached)."""
        key = self._public.get((key_id, not_after))
        if key is None:
            key = VerificationKey.from_jwk(jwk, not_after=not_after)
            self._public[(key_id, not_after)] = key
        return key

    def signing_key(self, record: KeyRecord) -> SigningKey:
        """The decrypted private key of a record (cached)."""
        key = self._cache.get(record.id)
        if key is None:
            with self._lock:
                key = SigningKey.from_encrypted_pem(
                    record.private_pem, self._passphrase, not_after=record.not_after
                )
                self._cache[record.id] = key
        return key

    def forget(self, key_id: uuid.UUID) -> None:
        """Drop a key from the cache (after revocation)."""
        self._cache.pop(key_id, None)

    def active(self, session: Session, purpose: str = CODE) -> tuple[KeyRecord, SigningKey]:
        """The active key for a purpose, or Unavailable when there is none."""
        record = session.scalars(
            select(KeyRecord)
            .where(KeyRecord.purpose == purpose, KeyRecord.status == ACTIVE)
            .order_by(KeyRecord.created_at.desc())
            .limit(1)
        ).first()
        if record is None:
            raise Unavailable(f"No active {purpose} signing key: run 'flask keys init'.")
        return record, self.signing_key(record)

    def encrypt(self, key: SigningKey) -> bytes:
        """A private key as passphrase-encrypted PEM."""
        return key.to_encrypted_pem(self._passphrase)


def _record(keyring: Keyring, key: SigningKey, purpose: str, now: datetime) -> KeyRecord:
    return KeyRecord(
        kid=key.kid_b64,
        alg=key.alg,
        purpose=purpose,
        status=ACTIVE,
        public_jwk=key.public_jwk(),
        private_pem=keyring.encrypt(key),
        created_at=now,
    )


def _change(session: Session, *, kind: TrustChangeKind, subject: str | None, now: datetime) -> None:
    lock_trust(session)
    session.add(TrustChange(kind=kind, subject=subject, at=now))


def init_keys(
    session: Session, *, keyring: Keyring, settings: Settings, now: datetime
) -> list[str]:
    """Create the code and bundle keys if missing (idempotent)."""
    created = []
    for purpose in (CODE, BUNDLE):
        exists = session.scalars(
            select(KeyRecord.id).where(KeyRecord.purpose == purpose, KeyRecord.status == ACTIVE)
        ).first()
        if exists is None:
            alg = settings.code_alg if purpose == CODE else "ES256"
            key = SigningKey.generate(alg)
            session.add(_record(keyring, key, purpose, now))
            if purpose == CODE:
                _change(session, kind=TrustChangeKind.KEY_ADDED, subject=key.kid_b64, now=now)
            created.append(f"created {purpose} key {key.kid_b64} ({alg})")
    session.flush()
    return created or ["keys already present"]


def rotate(
    session: Session,
    *,
    keyring: Keyring,
    settings: Settings,
    now: datetime,
    actor: Principal | None = None,
) -> KeyRecord:
    """Make a new active code key; the old one verifies its codes until they expire."""
    old = session.scalars(
        select(KeyRecord).where(KeyRecord.purpose == CODE, KeyRecord.status == ACTIVE)
    ).all()
    # a code signed by the old key expires at most one TTL from now
    not_after = now + timedelta(seconds=settings.code_ttl + 60)
    for record in old:
        record.status = RETIRED
        record.retired_at = now
        record.not_after = not_after
        after_commit(session, partial(keyring.forget, record.id))
    key = SigningKey.generate(settings.code_alg)
    record = _record(keyring, key, CODE, now)
    session.add(record)
    _change(session, kind=TrustChangeKind.KEY_ROTATED, subject=key.kid_b64, now=now)
    audit.record(
        session,
        actor=actor,
        action="key.rotate",
        target_type="signing_key",
        target_id=key.kid_b64,
        retired=[r.kid for r in old],
    )
    session.flush()
    return record


def revoke(
    session: Session,
    *,
    keyring: Keyring,
    settings: Settings,
    kid: str,
    now: datetime,
    actor: Principal | None = None,
) -> list[KeyRecord]:
    """Revoke every code key with this kid at once; a new active key replaces an active one."""
    records = session.scalars(
        select(KeyRecord).where(
            KeyRecord.purpose == CODE, KeyRecord.kid == kid, KeyRecord.status != REVOKED
        )
    ).all()
    if not records:
        raise NotFound(f"No live code-signing key with kid {kid!r}.")
    was_active = any(r.status == ACTIVE for r in records)
    for record in records:
        record.status = REVOKED
        record.revoked_at = now
        after_commit(session, partial(keyring.forget, record.id))
    _change(session, kind=TrustChangeKind.KEY_REVOKED, subject=kid, now=now)
    audit.record(
        session, actor=actor, action="key.revoke", target_type="signing_key", target_id=kid
    )
    if was_active:
        key = SigningKey.generate(settings.code_alg)
        session.add(_record(keyring, key, CODE, now))
        _change(session, kind=TrustChangeKind.KEY_ADDED, subject=key.kid_b64, now=now)
    session.flush()
    return list(records)


def expire_retired(session: Session, *, now: datetime) -> int:
    """Drop retired keys whose codes have all expired from the bundle."""
    records = session.scalars(
        select(KeyRecord).where(
            KeyRecord.purpose == CODE, KeyRecord.status == RETIRED, KeyRecord.not_after <= now
        )
    ).all()
    for record in records:
        record.status = EXPIRED
        _change(session, kind=TrustChangeKind.KEY_EXPIRED, subject=record.kid, now=now)
    session.flush()
    return len(records)


def list_keys(session: Session) -> Sequence[KeyRecord]:
    """Every key, newest first (public parts only are ever shown)."""
    return session.scalars(select(KeyRecord).order_by(KeyRecord.created_at.desc())).all()


def verification_keys(session: Session, *, keyring: Keyring) -> tuple[VerificationKey, ...]:
    """Public keys that verify codes now: active and retired code keys."""
    rows = session.execute(verifying_key_rows())
    return tuple(keyring.public_key(*row) for row in rows)


def verifying_key_rows() -> Select[tuple[uuid.UUID, datetime | None, dict[str, Any]]]:
    """The columns `Keyring.public_key` needs, of the keys that verify codes now."""
    return (
        select(KeyRecord.id, KeyRecord.not_after, KeyRecord.public_jwk)
        .where(KeyRecord.purpose == CODE, KeyRecord.status.in_((ACTIVE, RETIRED)))
        .order_by(KeyRecord.created_at)
    )


def rotate_root(
    session: Session, *, keyring: Keyring, now: datetime, actor: Principal | None = None
) -> RootHandover:
    """Hand the bundle root over to a new key: the current root signs a statement naming
    it (codes.handover); bundles are signed by the new root from now on. The old root's
    private half is no longer needed (the statement is stored) and is retired."""
    old_record, old_key = keyring.active(session, BUNDLE)
    new_key = SigningKey.generate("ES256")
    document = sign_handover(old_key, new_key.verification_key(), now=now)
    old_record.status, old_record.retired_at = RETIRED, now
    session.add(_record(keyring, new_key, BUNDLE, now))
    handover = RootHandover(
        from_kid=old_record.kid, to_kid=new_key.kid_b64, document=document, created_at=now
    )
    session.add(handover)
    _change(session, kind=TrustChangeKind.ROOT_HANDOVER, subject=new_key.kid_b64, now=now)
    audit.record(
        session,
        actor=actor,
        action="root.rotate",
        target_type="signing_key",
        target_id=new_key.kid_b64,
        retired=[old_record.kid],
    )
    session.flush()
    return handover


def root_handovers(session: Session) -> list[dict[str, Any]]:
    """Every hand-over statement, oldest first (published for devices to follow)."""
    rows = session.scalars(select(RootHandover).order_by(RootHandover.id)).all()
    return [row.document for row in rows]


def root_public_key(session: Session, *, keyring: Keyring) -> VerificationKey:
    """The bundle-signing (root) public key that checkpoints pin."""
    return keyring.active(session, BUNDLE)[1].verification_key()
