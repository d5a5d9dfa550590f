"""Trust bundle size in an outbreak: bytes on the wire and device-side delta apply time.

    python bench/trust.py [--revocations 100000] [--hourly 4200]

A full bundle with N revocations (10 keys) and an hourly delta (the day's revocations spread
over 24 hours), as JSON and gzip-compressed (what `GET /v1/trust` sends to a client that
accepts gzip); then the time a device takes to verify and apply that delta (`codes`, Python).
Prints `figure: NAME VALUE UNIT` lines.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchlib import figure

from app.services.subjects import subject_of
from codes import (
    HEALTH,
    BundleDelta,
    Revocation,
    SigningKey,
    TrustBundle,
    apply_delta,
    load_bundle,
    sign_bundle,
    sign_delta,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def revocations(count: int, start: datetime) -> tuple[Revocation, ...]:
    """Revocations of random people spread over the day before `start`."""
    step = 86400 / max(count, 1)
    return tuple(
        Revocation(
            HEALTH.name,
            subject_of(uuid.UUID(bytes=os.urandom(16))),
            start - timedelta(seconds=int(i * step)),
        )
        for i in range(count)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--revocations", type=int, default=100_000)
    parser.add_argument("--hourly", type=int, default=0, help="default: revocations / 24")
    args = parser.parse_args()
    hourly = args.hourly or args.revocations // 24
    root = SigningKey.generate("ES256")
    keys = tuple(
        SigningKey.generate(("ES256", "EdDSA")[i % 2]).verification_key() for i in range(10)
    )
    held = TrustBundle(
        seq=1000, issued_at=NOW, keys=keys, revocations=revocations(args.revocations, NOW)
    )
    full = json.dumps(sign_bundle(held, root)).encode()
    full_gz = gzip.compress(full, compresslevel=9, mtime=0)
    added = revocations(hourly, NOW + timedelta(hours=1))
    delta = BundleDelta(
        base_seq=1000,
        seq=1060,
        issued_at=NOW + timedelta(hours=1),
        keys=keys,
        revocations_added=added,
        revocations_removed=(),
    )
    delta_doc = sign_delta(delta, root)
    delta_raw = json.dumps(delta_doc).encode()
    delta_gz = gzip.compress(delta_raw, compresslevel=9, mtime=0)
    figure("bundle_revocations", args.revocations, "entries")
    figure("bundle_json_bytes", len(full), "bytes")
    figure("bundle_wire_bytes", len(full_gz), "bytes")
    figure("bundle_bytes_per_entry", len(full_gz) / args.revocations, "bytes")
    figure("delta_revocations", hourly, "entries")
    figure("delta_json_bytes", len(delta_raw), "bytes")
    figure("delta_wire_bytes", len(delta_gz), "bytes")
    public = root.verification_key()
    loaded = load_bundle(json.loads(full), public)
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        apply_delta(loaded, json.loads(gzip.decompress(delta_gz)), public)
        best = min(best, time.perf_counter() - started)
    figure("delta_apply_ms", best * 1000, "ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
