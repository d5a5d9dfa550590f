"""Helpers for the scanner's browser tests and bench: the system Chromium, a live server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VECTORS = sorted((Path(__file__).resolve().parent.parent / "codes" / "vectors").glob("*.json"))


def launch(playwright: Any) -> Any:
    """Headless Chromium from the system package (never a downloaded browser)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@contextmanager
def live_server(app: Flask) -> Iterator[str]:
    """Serve app on a free 127.0.0.1 port in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


# Runs in the page: each vector through the browser modules (deltas applied, `accept` kinds),
# answered in both vector formats' terms: the check() dict and the verified code's claims.
RUN_VECTORS_JS = """async (vectors) => {
  const { Refused, check, verify } = await import("/scan/static/verify.js");
  const { applyDelta, loadBundle } = await import("/scan/static/bundle.js");
  const { keyFromJwk } = await import("/scan/static/keys.js");
  const { KINDS } = await import("/scan/static/kinds.js");
  const { hex } = await import("/scan/static/bytes.js");
  const diag = (v) => v instanceof Map
    ? Object.fromEntries([...v].map(([k, x]) => [String(k), diag(x)]))
    : Array.isArray(v) ? v.map(diag) : v instanceof Uint8Array ? `h'${hex(v)}'` : v;
  const out = {};
  for (const v of vectors) {
    const root = await keyFromJwk(v.root_public_jwk, v.root_public_jwk.kid);
    let bundle = await loadBundle(v.bundle, root);
    for (const delta of v.deltas || []) bundle = await applyDelta(bundle, delta, root);
    const options = {
      now: v.now, leeway: v.leeway, algorithms: v.algorithms, checkFreshness: v.check_freshness,
      kinds: KINDS.filter((k) => (v.accept || ["health"]).includes(k.name)),
    };
    let code = null;
    try {
      code = await verify(v.code, bundle, options);
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      code = err.seen;
    }
    out[v.name] = {
      result: await check(v.code, bundle, options),
      code: code && {
        kind: code.kind, claims: diag(code.map), expires_at: code.expiresAt, kid: code.kid,
      },
    };
  }
  return out;
}"""
