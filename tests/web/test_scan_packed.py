"""The browser scanner reads packed revocations (rev_format 2) as codes does: the same
cut-offs and entry count for a bundle of a few thousand entries and a delta on it, and a
BundleError (never another error) for every malformed packed payload the Python tests use."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from codes import (
    Revocation,
    SigningKey,
    TrustBundle,
    apply_delta,
    load_bundle,
    make_delta,
    sign_bundle,
    sign_delta,
)
from codes.bundle import TYP_BUNDLE, TYP_DELTA
from codes.claims import to_seconds
from codes.jws import canonical_json, jws_sign
from tests.codes.test_packed import MALFORMED_REVOCATIONS
from tests.web.scan_browser import live_server

playwright = pytest.importorskip("playwright.sync_api")

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ROOT = SigningKey.generate("ES256")

# Runs in the page: load the bundle, apply the deltas, and answer each probe's cut-off; or, for
# documents that must be refused, the name of what was thrown.
PROBE_JS = """async ({ jwk, bundle, deltas, probes }) => {
  const { applyDelta, loadBundle, revocationHash } = await import("/scan/static/bundle.js");
  const { keyFromJwk } = await import("/scan/static/keys.js");
  const root = await keyFromJwk(jwk, jwk.kid);
  const answers = async (held) => Promise.all(
    probes.map(async ([kind, sub]) => held.revokedBefore(await revocationHash(kind, sub))),
  );
  const held = await loadBundle(bundle, root);
  let applied = held;
  for (const delta of deltas) applied = await applyDelta(applied, delta, root);
  return {
    held: await answers(held), heldCount: held.revocationCount,
    applied: await answers(applied), appliedCount: applied.revocationCount,
  };
}"""
REFUSED_JS = """async ({ jwk, held, bundles, deltas }) => {
  const { BundleError, applyDelta, loadBundle } = await import("/scan/static/bundle.js");
  const { keyFromJwk } = await import("/scan/static/keys.js");
  const root = await keyFromJwk(jwk, jwk.kid);
  const base = await loadBundle(held, root);
  const outcome = async (work) => {
    try {
      await work();
      return "accepted";
    } catch (err) {
      return err instanceof BundleError ? "BundleError" : `${err.name}: ${err.message}`;
    }
  };
  return [
    ...(await Promise.all(bundles.map((doc) => outcome(() => loadBundle(doc, root))))),
    ...(await Promise.all(deltas.map((doc) => outcome(() => applyDelta(base, doc, root))))),
  ];
}"""


def entries(rng: random.Random, count: int, prefix: str) -> list[Revocation]:
    start = to_seconds(NOW) - 86400
    return [
        Revocation(
            rng.choice(["health", "place"]),
            f"{prefix}{i}",
            datetime.fromtimestamp(start + rng.choice([0, rng.randrange(86400)]), UTC),
        )
        for i in range(count)
    ]


def cutoffs(bundle: TrustBundle, probes: list[tuple[str, str]]) -> list[int | None]:
    found = (bundle.revoked_before(kind, sub) for kind, sub in probes)
    return [None if before is None else to_seconds(before) for before in found]


@pytest.mark.slow
def test_browser_reads_packed_bundles_and_refuses_malformed_ones(app: Flask, chromium: Any) -> None:
    rng = random.Random(12)
    keys = (SigningKey.generate("ES256").verification_key(),)
    old = TrustBundle(seq=7, issued_at=NOW, keys=keys, revocations=entries(rng, 3000, "p"))
    kept = [r for r in old.revocations if rng.random() > 0.1]  # about 300 removed
    moved = replace(old.revocations[1], before=NOW)  # a held entry replaced by a later one
    new = replace(old, seq=8, revocations=(*kept, *entries(rng, 200, "q"), moved))
    probes = [(r.kind, r.subject) for r in old.revocations[:400]]
    probes += [("health", "q1"), ("place", "q1"), ("pass", "q2"), ("health", "nobody")]
    delta = sign_delta(make_delta(old, new), ROOT)
    # then an hour's prune: the entries of the day's first half go, by each kind's cut-off
    half = datetime.fromtimestamp(to_seconds(NOW) - 43200, UTC)
    pruned = replace(new, seq=9, revocations=[r for r in new.revocations if r.before > half])
    prune = make_delta(new, pruned)
    assert {kind for kind, _ in prune.revocations_expired} == {"health", "place"}
    root = ROOT.verification_key()
    held = load_bundle(sign_bundle(old, ROOT), root)
    applied = apply_delta(apply_delta(held, delta, root), sign_delta(prune, ROOT), root)
    assert applied == pruned
    bundle_payload = old.to_payload()
    delta_payload = make_delta(old, new).to_payload()
    bad_bundles = [
        jws_sign(canonical_json(bundle_payload | {"revocations": r}), ROOT, TYP_BUNDLE)
        for _, r, _ in MALFORMED_REVOCATIONS
    ] + [
        jws_sign(canonical_json(bundle_payload | {"rev_format": f}), ROOT, TYP_BUNDLE)
        for f in (1, 3, "2", None)
    ]
    bad_deltas = (
        [
            jws_sign(canonical_json(delta_payload | {"revocations_added": r}), ROOT, TYP_DELTA)
            for _, r, _ in MALFORMED_REVOCATIONS
        ]
        + [
            jws_sign(canonical_json(delta_payload | {"revocations_removed": r}), ROOT, TYP_DELTA)
            for r in ([], {"health": "AAAA"}, {"health": {"hash": "AAAAAAAAAAA"}}, {"h!": ""})
        ]
        + [
            jws_sign(canonical_json(delta_payload | {"revocations_expired": r}), ROOT, TYP_DELTA)
            for r in ([], {"Health": 1}, {"health": -1}, {"health": "1"}, {"health": 253402300800})
        ]
    )
    list_form = {k: v for k, v in delta_payload.items() if k != "rev_format"}
    list_form |= {"revocations_added": [], "revocations_removed": []}
    bad_deltas.append(  # cut-offs only in packed deltas
        jws_sign(canonical_json(list_form | {"revocations_expired": {"h": 1}}), ROOT, TYP_DELTA)
    )
    with live_server(app) as base:
        page = chromium.new_page()
        page.goto(base + "/scan/")
        jwk = root.public_jwk()
        doc = sign_bundle(old, ROOT)
        got = page.evaluate(
            PROBE_JS,
            {
                "jwk": jwk,
                "bundle": doc,
                "deltas": [delta, sign_delta(prune, ROOT)],
                "probes": probes,
            },
        )
        refused = page.evaluate(
            REFUSED_JS, {"jwk": jwk, "held": doc, "bundles": bad_bundles, "deltas": bad_deltas}
        )
        page.close()
    assert got["held"] == cutoffs(held, probes) and got["heldCount"] == len(held.revocations)
    assert got["applied"] == cutoffs(applied, probes)
    assert got["appliedCount"] == len(applied.revocations)
    assert None in got["applied"] and any(got["applied"])
    assert refused == ["BundleError"] * (len(bad_bundles) + len(bad_deltas))
