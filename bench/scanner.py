"""Benchmark the browser scanner (/scan/) in headless system Chromium.

Run from the repo root: .venv/bin/python bench/scanner.py [--rounds N]
Prints `figure: NAME VALUE UNIT` lines:
- scan_answer_p50_ms / scan_answer_p95_ms: from the code text read to the answer on screen
  (check() against the bundle in WebCrypto, the answer screen written and laid out), over
  every golden vector x rounds; target p95 <= 30 ms.
- scan_frame_p95_ms: the same until the next animation frame (the answer painted).
- scan_bundle_load_ms: verifying a signed bundle (JWS + key imports), median.
- scan_own_bytes: the scanner's own HTML + JS + CSS (+ manifest, icon), uncompressed;
  target < 150 KB. scan_with_common_bytes adds the shared common files it loads.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests
from playwright.sync_api import sync_playwright

from app.factory import create_app
from tests.web.scan_browser import VECTORS, launch, live_server

ROOT = Path(__file__).resolve().parents[1]
SCAN_STATIC = ROOT / "app" / "web" / "static" / "scan"
COMMON = (
    "/static/web/common/common.css",
    "/static/web/common/i18n.js",
    "/static/web/common/api.js",
)

MEASURE_JS = """async ({vectors, rounds}) => {
  const { Scanner, answerScreen } = await import("/scan/static/scanner.js");
  const { applyDelta, loadBundle } = await import("/scan/static/bundle.js");
  const { keyFromJwk } = await import("/scan/static/keys.js");
  const { KINDS } = await import("/scan/static/kinds.js");
  const cases = [];
  const loads = [];
  for (const v of vectors) {
    const root = await keyFromJwk(v.root_public_jwk, v.root_public_jwk.kid);
    const t0 = performance.now();
    let bundle = await loadBundle(v.bundle, root);
    loads.push(performance.now() - t0);
    for (const delta of v.deltas || []) bundle = await applyDelta(bundle, delta, root);
    const kinds = KINDS.filter((k) => (v.accept || ["health"]).includes(k.name));
    cases.push({ v, bundle, kinds });
  }
  const started = { at: 0 };
  const answers = [];
  const frames = [];
  const el = document.getElementById("answer");
  for (let r = 0; r < rounds; r++) {
    for (const { v, bundle, kinds } of cases) {
      const scanner = new Scanner({ kinds, leeway: v.leeway });
      scanner.bundle = bundle;
      scanner.onResult(answerScreen(started));
      started.at = performance.now();
      await scanner.check(v.code, v.now);
      el.getBoundingClientRect();  // layout done: the answer is on screen at the next paint
      answers.push(performance.now() - started.at);
      await new Promise((resolve) => requestAnimationFrame(resolve));
      frames.push(performance.now() - started.at);
    }
  }
  return { answers, frames, loads };
}"""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    vectors = [json.loads(p.read_text()) for p in VECTORS]
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "ENV": "testing",
                "DATABASE_URL": f"sqlite:///{tmp}/bench.db",  # pages and files only
                "REDIS_URL": "redis://127.0.0.1:1/0",
                "LOG_LEVEL": "WARNING",
            }
        )
        with live_server(app) as base, sync_playwright() as p:
            html = requests.get(f"{base}/scan/", timeout=10).content
            common = sum(len(requests.get(base + path, timeout=10).content) for path in COMMON)
            browser = launch(p)
            page = browser.new_page(viewport={"width": 360, "height": 800})
            page.goto(f"{base}/scan/")
            page.wait_for_function("document.body.dataset.ready === '1'")
            page.evaluate(MEASURE_JS, {"vectors": vectors, "rounds": 2})  # warm up
            got = page.evaluate(MEASURE_JS, {"vectors": vectors, "rounds": args.rounds})
            browser.close()
    own = len(html) + sum(f.stat().st_size for f in SCAN_STATIC.iterdir() if f.is_file())
    print(f"figure: scan_vectors {len(vectors)} files")
    print(f"figure: scan_answer_p50_ms {percentile(got['answers'], 50):.2f} ms")
    print(f"figure: scan_answer_p95_ms {percentile(got['answers'], 95):.2f} ms")
    print(f"figure: scan_frame_p95_ms {percentile(got['frames'], 95):.2f} ms")
    print(f"figure: scan_bundle_load_ms {percentile(got['loads'], 50):.2f} ms")
    print(f"figure: scan_own_bytes {own} B")
    print(f"figure: scan_with_common_bytes {own + common} B")


if __name__ == "__main__":
    main()
