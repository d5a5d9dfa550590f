"""CLI delta sync against a local server that behaves like GET /v1/trust[?since=N]."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from codes import (
    HEALTH,
    BundleDelta,
    Claims,
    Revocation,
    SigningKey,
    TrustBundle,
    cli,
    issue,
    make_delta,
    sign_bundle,
    sign_delta,
)
from codes.b64 import b64u_decode
from codes.bundle import TYP_BUNDLE
from codes.claims import to_seconds
from codes.cli import main
from codes.jws import canonical_json, jws_sign

REPO = Path(__file__).resolve().parents[2]


class DeltaServer:
    """Serves the full signed bundle, signed deltas for ?since=N, ETags and 304s.

    Like app/api/trust/routes.py: the ETag is a hash of the signed payload, If-None-Match
    equal to it gives 304, since > current seq gives 422. Hooks let a test misbehave.
    """

    def __init__(self, root_key: SigningKey, first: TrustBundle) -> None:
        self.root_key = root_key
        self.history: dict[int, TrustBundle] = {first.seq: first}
        self.current = first
        self.ignore_since = False
        self.since_status: int | None = None  # answer ?since= with this HTTP status
        self.tweak_delta: Callable[[BundleDelta], BundleDelta] | None = None
        self.delta_signer: SigningKey | None = None
        self.wrap = False  # answer {"bundle": doc} / {"delta": doc}
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/v1/trust/handovers":  # a server without root hand-overs
                    self.send_error(404)
                    return
                server.requests.append((self.path, self.headers.get("If-None-Match")))
                parts = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parts.query))
                if parts.path != "/v1/trust":
                    self.send_error(404)
                    return
                since = None if server.ignore_since else query.get("since")
                if since is not None and server.since_status is not None:
                    self.send_error(server.since_status)
                    return
                doc = server.document(None if since is None else int(since))
                if doc is None:
                    self.send_error(422)
                    return
                etag = '"' + hashlib.sha256(doc["payload"].encode()).hexdigest()[:32] + '"'
                if etag in self.headers.get("If-None-Match", ""):
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                if server.wrap:
                    body = json.dumps(
                        {"seq": server.current.seq, "bundle" if since is None else "delta": doc}
                    )
                else:
                    body = json.dumps(doc)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("ETag", etag)
                self.send_header("X-Trust-Seq", str(server.current.seq))
                self.send_header("Content-Length", str(len(body.encode())))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1/trust"

    def publish(self, bundle: TrustBundle) -> None:
        self.history[bundle.seq] = bundle
        self.current = bundle

    def document(self, since: int | None) -> dict[str, str] | None:
        if since is None:
            return sign_bundle(self.current, self.root_key)
        base = self.history.get(since)
        if since > self.current.seq or base is None:
            return None
        delta = make_delta(base, self.current)
        if self.tweak_delta is not None:
            delta = self.tweak_delta(delta)
        return sign_delta(delta, self.delta_signer or self.root_key)


@pytest.fixture
def first(bundle: TrustBundle) -> TrustBundle:
    return bundle  # seq 5, issued an hour before NOW, the ES256 and EdDSA keys


@pytest.fixture
def server(root_key: SigningKey, first: TrustBundle) -> Iterator[DeltaServer]:
    srv = DeltaServer(root_key, first)
    thread = threading.Thread(target=srv.httpd.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def root_pem(tmp_path: Path, root_key: SigningKey) -> Path:
    path = tmp_path / "root.pem"
    path.write_bytes(root_key.public_pem())
    return path


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "bundle.json"


@pytest.fixture
def sync(server: DeltaServer, root_pem: Path, out: Path) -> Callable[[], int]:
    args = ["sync", "--url", server.url, "--root", str(root_pem), "--out", str(out)]
    return lambda: main([*args, "--timeout", "5"])


@pytest.fixture
def verify(root_pem: Path, out: Path, now: datetime) -> Callable[[str], int]:
    base = ["verify", "--bundle", str(out), "--root", str(root_pem), "--now", now.isoformat()]
    return lambda text: main([*base, text])


def _revoke(bundle: TrustBundle, subject: str, before: datetime, seq: int) -> TrustBundle:
    return replace(
        bundle,
        seq=seq,
        issued_at=bundle.issued_at + timedelta(minutes=5 * (seq - bundle.seq)),
        revocations=(*bundle.revocations, Revocation("health", subject, before)),
    )


def test_delta_sync_applies_revocations_and_keeps_etag(
    server: DeltaServer,
    first: TrustBundle,
    sync: Callable[[], int],
    verify: Callable[[str], int],
    out: Path,
    es_key: SigningKey,
    make_claims: Callable[..., Claims],
    now: datetime,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert sync() == 0
    assert server.requests[-1] == ("/v1/trust", None)
    stored = json.loads(out.read_text())
    assert stored["format"] == "hcx-device-bundle/1" and "deltas" not in stored
    full_etag = stored["etag"]

    revoked, kept = make_claims(), make_claims()
    revoked_text, kept_text = issue(revoked, es_key, kind=HEALTH), issue(kept, es_key, kind=HEALTH)
    server.publish(_revoke(first, revoked.subject, now + timedelta(seconds=1), 6))
    capsys.readouterr()
    assert sync() == 0
    assert server.requests[-1] == ("/v1/trust?since=5&cutoffs=1", full_etag)
    assert "synced seq 6" in capsys.readouterr().out
    stored = json.loads(out.read_text())
    assert stored["format"] == "hcx-device-bundle/2" and len(stored["deltas"]) == 1
    assert stored["doc"]["payload"] == sign_bundle(first, server.root_key)["payload"]
    assert verify(revoked_text) == 1
    assert "REVOKED" in capsys.readouterr().out
    assert verify(kept_text) == 0

    # The ETag of a ?since=N answer covers base_seq, so the one stored from since=5 cannot
    # match since=6: the first sync after a change gets a (refresh-only) delta 6 -> 6 ...
    assert sync() == 0
    assert server.requests[-1] == ("/v1/trust?since=6&cutoffs=1", stored["etag"])
    assert "(delta from seq 6)" in capsys.readouterr().out
    stored = json.loads(out.read_text())
    assert len(stored["deltas"]) == 2
    # ... and from then on, while nothing changes, the server answers 304
    before = out.read_bytes()
    assert sync() == 0
    assert server.requests[-1] == ("/v1/trust?since=6&cutoffs=1", stored["etag"])
    assert "unchanged" in capsys.readouterr().out
    assert out.read_bytes() == before
    assert verify(revoked_text) == 1 and verify(kept_text) == 0


def test_a_bundle_file_from_before_packing_takes_packed_deltas(
    server: DeltaServer,
    first: TrustBundle,
    sync: Callable[[], int],
    verify: Callable[[str], int],
    out: Path,
    es_key: SigningKey,
    make_claims: Callable[..., Claims],
    now: datetime,
) -> None:
    """A checkpoint upgraded in the field keeps its stored list-form bundle (no rev_format,
    revocations as objects) and applies the server's packed deltas on top of it."""
    old_claims, new_claims = make_claims(), make_claims()
    held = _revoke(first, old_claims.subject, now + timedelta(seconds=1), 5)
    payload = held.to_payload()
    del payload["rev_format"]
    payload["revocations"] = [
        {"kind": "health", "sub": old_claims.subject, "before": to_seconds(now) + 1}
    ]
    doc = jws_sign(canonical_json(payload), server.root_key, TYP_BUNDLE)
    out.write_text(json.dumps({"format": "hcx-device-bundle/1", "etag": None, "doc": doc}))
    server.publish(held)
    server.publish(_revoke(held, new_claims.subject, now + timedelta(seconds=1), 6))
    assert sync() == 0
    stored = json.loads(out.read_text())
    assert stored["doc"] == doc and len(stored["deltas"]) == 1
    assert "rev_format" in json.loads(b64u_decode(stored["deltas"][0]["payload"]))
    assert verify(issue(old_claims, es_key, kind=HEALTH)) == 1
    assert verify(issue(new_claims, es_key, kind=HEALTH)) == 1
    assert verify(issue(make_claims(), es_key, kind=HEALTH)) == 0


def test_refresh_only_deltas_collapse_and_removals_apply(
    server: DeltaServer,
    first: TrustBundle,
    sync: Callable[[], int],
    verify: Callable[[str], int],
    out: Path,
    es_key: SigningKey,
    make_claims: Callable[..., Claims],
    now: datetime,
) -> None:
    claims = make_claims()
    text = issue(claims, es_key, kind=HEALTH)
    assert sync() == 0
    state = first
    for minutes in (5, 10, 15):  # only the signed time moves: one refresh delta is kept
        state = replace(state, issued_at=first.issued_at + timedelta(minutes=minutes))
        server.publish(state)
        assert sync() == 0
        assert len(json.loads(out.read_text())["deltas"]) == 1
    state = _revoke(state, claims.subject, now + timedelta(seconds=1), 6)
    server.publish(state)
    assert sync() == 0
    assert len(json.loads(out.read_text())["deltas"]) == 1  # the refresh was replaced
    assert verify(text) == 1
    for _ in range(2):
        state = replace(state, issued_at=state.issued_at + timedelta(minutes=5))
        server.publish(state)
        assert sync() == 0
    assert len(json.loads(out.read_text())["deltas"]) == 2  # revocation + one refresh
    state = replace(state, seq=7, revocations=())  # pruned: delta lists it as removed
    server.publish(state)
    assert sync() == 0
    assert len(json.loads(out.read_text())["deltas"]) == 2
    assert verify(text) == 0


def test_mismatched_delta_falls_back_to_full_fetch(
    server: DeltaServer,
    first: TrustBundle,
    sync: Callable[[], int],
    out: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert sync() == 0
    server.publish(replace(first, seq=8))
    server.tweak_delta = lambda d: replace(d, base_seq=d.base_seq + 1)
    capsys.readouterr()
    assert sync() == 0
    assert "does not apply" in capsys.readouterr().out
    assert [path for path, _ in server.requests] == [
        "/v1/trust",
        "/v1/trust?since=5&cutoffs=1",
        "/v1/trust",
    ]
    assert server.requests[-1][1] is None  # the fallback fetch is unconditional
    stored = json.loads(out.read_text())
    assert stored["format"] == "hcx-device-bundle/1"
    assert cli._load_store(out, server.root_key.verification_key()).bundle.seq == 8


def test_server_ignoring_since_gives_full_bundle(
    server: DeltaServer,
    first: TrustBundle,
    sync: Callable[[], int],
    out: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert sync() == 0
    server.publish(replace(first, seq=6))
    assert sync() == 0  # a delta first, so that the file holds one
    server.ignore_since = True
    server.publish(replace(first, seq=7))
    capsys.readouterr()
    assert sync() == 0
    assert "seq 7" in capsys.readouterr().out
    stored = json.loads(out.read_text())
    assert stored["format"] == "hcx-device-bundle/1" and "deltas" not in stored
    server.publish(replace(first, seq=6))
    assert sync() == 2  # a full bundle answering ?since= is still checked for rollback
    assert "Rollback" in capsys.readouterr().err


def test_unknown_since_falls_back_and_rollback_is_refused(
    server: DeltaServer,
    first: TrustBundle,
    sync: Callable[[], int],
    out: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server.publish(replace(first, seq=9))
    assert sync() == 0
    before = out.read_bytes()
    server.publish(replace(first, seq=7))  # e.g. a restored database: since=9 > 7 is 422
    capsys.readouterr()
    assert sync() == 2
    captured = capsys.readouterr()
    assert "HTTP 422" in captured.out and "BundleRollbackError" in captured.err
    assert [path for path, _ in server.requests][-2:] == [
        "/v1/trust?since=9&cutoffs=1",
        "/v1/trust",
    ]
    assert out.read_bytes() == before


def test_bad_deltas_are_refused_without_fallback(
    server: DeltaServer,
    first: TrustBundle,
    sync: Callable[[], int],
    out: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server.publish(replace(first, seq=6))
    assert sync() == 0
    server.publish(replace(first, seq=7))
    assert sync() == 0
    before = out.read_bytes()
    capsys.readouterr()

    server.tweak_delta = lambda d: replace(d, seq=6, base_seq=7)  # rolls back to seq 6
    assert sync() == 2
    assert "BundleRollbackError" in capsys.readouterr().err
    server.tweak_delta = None
    server.publish(replace(first, seq=8))
    server.delta_signer = SigningKey.generate()  # not the pinned root
    assert sync() == 2
    assert "BundleSignatureError" in capsys.readouterr().err
    server.delta_signer = None
    server.since_status = 500
    assert sync() == 2
    assert "HTTP 500" in capsys.readouterr().err
    assert all(path != "/v1/trust" for path, _ in server.requests[-3:])  # no fallback
    assert out.read_bytes() == before
    server.since_status = 429
    assert sync() == 2
    assert out.read_bytes() == before


def test_long_chain_is_replaced_by_full_fetch(
    server: DeltaServer,
    first: TrustBundle,
    sync: Callable[[], int],
    out: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli, "MAX_DELTAS", 2)
    assert sync() == 0
    for seq in (6, 7):
        server.publish(replace(first, seq=seq))
        assert sync() == 0
    assert len(json.loads(out.read_text())["deltas"]) == 2
    server.publish(replace(first, seq=8))
    assert sync() == 0
    assert server.requests[-1] == ("/v1/trust", None)
    assert "deltas" not in json.loads(out.read_text())


def test_tampered_chain_is_refused(
    server: DeltaServer,
    first: TrustBundle,
    sync: Callable[[], int],
    verify: Callable[[str], int],
    out: Path,
    es_key: SigningKey,
    make_claims: Callable[..., Claims],
) -> None:
    text = issue(make_claims(), es_key, kind=HEALTH)
    assert sync() == 0
    server.publish(replace(first, seq=6))
    assert sync() == 0
    assert verify(text) == 0
    good = json.loads(out.read_text())

    # a /1 file holds no deltas (a CLI that knows only /1 would silently ignore them)
    out.write_text(json.dumps(good | {"format": "hcx-device-bundle/1"}))
    assert verify(text) == 2
    out.write_text(json.dumps(good | {"deltas": "nope"}))
    assert verify(text) == 2
    delta = dict(good["deltas"][0])
    delta["signature"] = delta["signature"][::-1]
    out.write_text(json.dumps(good | {"deltas": [delta]}))
    assert verify(text) == 2
    assert sync() == 2  # sync refuses to build on a file that does not verify
    out.write_text(json.dumps(good))
    assert verify(text) == 0


def test_wrapped_documents_are_accepted(
    server: DeltaServer,
    first: TrustBundle,
    sync: Callable[[], int],
    out: Path,
) -> None:
    server.wrap = True
    assert sync() == 0
    server.publish(replace(first, seq=6))
    assert sync() == 0
    stored = json.loads(out.read_text())
    assert len(stored["deltas"]) == 1 and set(stored["deltas"][0]) == {
        "protected",
        "payload",
        "signature",
    }


def test_with_since_keeps_other_query_parameters() -> None:
    assert cli._with_since("http://h/v1/trust", 3) == "http://h/v1/trust?since=3&cutoffs=1"
    assert (
        cli._with_since("http://h/t?region=x&since=1&cutoffs=0", 9)
        == "http://h/t?region=x&since=9&cutoffs=1"
    )


def test_delta_sync_as_a_subprocess(
    server: DeltaServer,
    first: TrustBundle,
    root_pem: Path,
    out: Path,
    now: datetime,
) -> None:
    args = [sys.executable, "-m", "codes", "sync", "--url", server.url, "--root", str(root_pem)]
    args += ["--out", str(out), "--timeout", "5"]
    assert subprocess.run(args, cwd=REPO, capture_output=True, timeout=60).returncode == 0
    server.publish(_revoke(first, "p_someone", now, 6))
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "synced seq 6" in done.stdout and "(delta from seq 5)" in done.stdout
    for _ in range(2):  # a refresh-only delta 6 -> 6 first, then 304 (see above)
        again = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=60)
        assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("unchanged")
