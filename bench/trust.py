"""Trust bundle size in an outbreak: bytes on the wire and device-side delta apply time.

    python bench/trust.py [--revocations 100000] [--hourly 4200]

A full bundle with N revocations (10 keys) and an hourly delta (the day's revocations spread
over 24 hours), signed as the server signs them (packed revocations, codes/SPEC.md §8.2) and
sent as `GET /v1/trust` sends them to a client that accepts gzip (app/api/trust/compressed.py);
then the time a device takes to verify and apply that delta (`codes`, Python), best of 5.
Prints `figure: NAME VALUE UNIT` lines, and each target's `..._ratio_to_limit` (below 1 meets
it). `delta_with_prune_*`: the same hour once the bundle is in a steady state, where the
hour's oldest entries (past the code lifetime) are removed as the new ones are added: they go
by a per-kind cut-off (codes/SPEC.md §8.2), not hash by hash.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchlib import figure

from app.api.trust.compressed import body
from app.services.subjects import subject_of
from app.services.trust import SignedDocument
from codes import (
    HEALTH,
    BundleDelta,
    Revocation,
    SigningKey,
    TrustBundle,
    VerificationKey,
    apply_delta,
    load_bundle,
    make_delta,
    sign_bundle,
    sign_delta,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
BUNDLE_LIMIT_BYTES = 2_000_000
DELTA_LIMIT_BYTES = 50_000
APPLY_LIMIT_MS = 50.0


def revocations(count: int, start: datetime, span: int = 86400) -> tuple[Revocation, ...]:
    """Revocations of random people spread over the `span` seconds before `start`."""
    step = span / max(count, 1)
    return tuple(
        Revocation(
            HEALTH.name,
            subject_of(uuid.UUID(bytes=os.urandom(16))),
            start - timedelta(seconds=int(i * step)),
        )
        for i in range(count)
    )


def served(doc: dict[str, str], seq: int) -> tuple[bytes, bytes]:
    """The response body as JSON and as gzip, as the trust endpoint makes them."""
    signed = SignedDocument(doc, f'W/"{seq}.0"', seq)
    raw, _ = body(signed, json.dumps, gzip_ok=False)
    zipped, _ = body(signed, json.dumps, gzip_ok=True)
    return raw, zipped


def apply_ms(held: TrustBundle, zipped: bytes, public: VerificationKey) -> float:
    """Best of 5: unzip, parse, verify and apply the delta."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        apply_delta(held, json.loads(gzip.decompress(zipped)), public)
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--revocations", type=int, default=100_000)
    parser.add_argument("--hourly", type=int, default=0, help="default: revocations / 24")
    args = parser.parse_args()
    hourly = args.hourly or args.revocations // 24
    root = SigningKey.generate("ES256")
    public = root.verification_key()
    keys = tuple(
        SigningKey.generate(("ES256", "EdDSA")[i % 2]).verification_key() for i in range(10)
    )
    entries = revocations(args.revocations, NOW)
    held = TrustBundle(seq=1000, issued_at=NOW, keys=keys, revocations=entries)
    full, full_gz = served(sign_bundle(held, root), 1000)
    added = revocations(hourly, NOW + timedelta(hours=1), span=3600)
    delta = BundleDelta(
        base_seq=1000,
        seq=1060,
        issued_at=NOW + timedelta(hours=1),
        keys=keys,
        revocations_added=added,
    )
    delta_raw, delta_gz = served(sign_delta(delta, root), 1060)
    figure("bundle_revocations", args.revocations, "entries")
    figure("bundle_json_bytes", len(full), "bytes")
    figure("bundle_wire_bytes", len(full_gz), "bytes")
    figure("bundle_wire_ratio_to_limit", len(full_gz) / BUNDLE_LIMIT_BYTES, "x")
    figure("bundle_bytes_per_entry", len(full_gz) / args.revocations, "bytes")
    figure("delta_revocations", hourly, "entries")
    figure("delta_json_bytes", len(delta_raw), "bytes")
    figure("delta_wire_bytes", len(delta_gz), "bytes")
    figure("delta_wire_ratio_to_limit", len(delta_gz) / DELTA_LIMIT_BYTES, "x")
    loaded = load_bundle(json.loads(full), public)
    applied = apply_ms(loaded, delta_gz, public)
    figure("delta_apply_ms", applied, "ms")
    figure("delta_apply_ratio_to_limit", applied / APPLY_LIMIT_MS, "x")
    # The oldest hour goes as the new one comes; the delta is made as the server makes it (the
    # pruned entries go by the kind's cut-off, codes.split_removed).
    steady = replace(held, seq=1061, revocations=(*entries[:-hourly], *added))
    pruned = make_delta(held, steady)
    assert pruned.revocations_expired and not pruned.revocations_removed
    _raw, pruned_gz = served(sign_delta(pruned, root), 1061)
    figure("delta_with_prune_wire_bytes", len(pruned_gz), "bytes")
    figure("delta_with_prune_ratio_to_limit", len(pruned_gz) / DELTA_LIMIT_BYTES, "x")
    pruned_ms = apply_ms(loaded, pruned_gz, public)
    figure("delta_with_prune_apply_ms", pruned_ms, "ms")
    figure("delta_with_prune_apply_ratio_to_limit", pruned_ms / APPLY_LIMIT_MS, "x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
