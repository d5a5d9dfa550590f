"""CLI: sync from a local HTTP server (pinned root, rollback refused), verify exit codes."""

from __future__ import annotations

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

from codes import HEALTH, Claims, SigningKey, TrustBundle, issue, sign_bundle
from codes.cli import main

REPO = Path(__file__).resolve().parents[2]


class TrustServer:
    """A tiny HTTP server serving one signed bundle document with an ETag.

    It ignores the query string, like a server that does not know `?since=`: the CLI then
    gets the full bundle (or 304) in answer to its delta request.
    """

    def __init__(self) -> None:
        self.doc: dict[str, Any] = {}
        self.etag = '"0"'
        self.seen_if_none_match: list[str | None] = []
        self.seen_paths: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/v1/trust/handovers":  # a server without root hand-overs
                    self.send_error(404)
                    return
                server.seen_if_none_match.append(self.headers.get("If-None-Match"))
                server.seen_paths.append(self.path)
                if urllib.parse.urlsplit(self.path).path != "/v1/trust":
                    self.send_error(404)
                    return
                if self.headers.get("If-None-Match") == server.etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                body = json.dumps(server.doc).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("ETag", server.etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1/trust"

    def serve(self, doc: dict[str, Any], etag: str) -> None:
        self.doc, self.etag = doc, etag


@pytest.fixture
def server() -> Iterator[TrustServer]:
    srv = TrustServer()
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


def run_module(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codes", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_sync_then_verify_end_to_end(
    server: TrustServer,
    root_key: SigningKey,
    root_pem: Path,
    bundle: TrustBundle,
    es_key: SigningKey,
    make_claims: Callable[..., Claims],
    tmp_path: Path,
    now: datetime,
) -> None:
    out = tmp_path / "bundle.json"
    server.serve(sign_bundle(bundle, root_key), '"seq-5"')
    synced = run_module("sync", "--url", server.url, "--root", str(root_pem), "--out", str(out))
    assert synced.returncode == 0, synced.stderr
    assert "seq 5" in synced.stdout
    stored = json.loads(out.read_text())
    assert stored["doc"] == server.doc and stored["etag"] == '"seq-5"'

    text = issue(make_claims(), es_key, kind=HEALTH)
    common = ("verify", "--bundle", str(out), "--root", str(root_pem), "--json")
    valid = run_module(*common, "--now", now.isoformat(), text)
    assert valid.returncode == 0, valid.stderr
    assert json.loads(valid.stdout)["valid"] is True
    expired = run_module(*common, "--now", (now + timedelta(hours=13)).isoformat(), text)
    assert expired.returncode == 1
    assert json.loads(expired.stdout)["reason"] == "EXPIRED"


def test_sync_etag_rollback_and_wrong_root(
    server: TrustServer,
    root_key: SigningKey,
    root_pem: Path,
    bundle: TrustBundle,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "bundle.json"
    args = ["sync", "--url", server.url, "--root", str(root_pem), "--out", str(out)]
    server.serve(sign_bundle(bundle, root_key), '"seq-5"')
    assert main(args) == 0
    assert main(args) == 0  # answered 304 thanks to If-None-Match
    assert server.seen_if_none_match == [None, '"seq-5"']
    assert server.seen_paths == ["/v1/trust", "/v1/trust?since=5&cutoffs=1"]
    assert "unchanged: not modified" in capsys.readouterr().out

    before = out.read_text()
    server.serve(sign_bundle(replace(bundle, seq=4), root_key), '"seq-4"')
    assert main(args) == 2
    assert "Rollback" in capsys.readouterr().err
    assert out.read_text() == before

    server.serve(sign_bundle(replace(bundle, seq=6), SigningKey.generate()), '"evil"')
    assert main(args) == 2
    assert "Signature" in capsys.readouterr().err
    assert out.read_text() == before

    server.serve(sign_bundle(replace(bundle, seq=6), root_key), '"seq-6"')
    assert main(args) == 0  # the full bundle in answer to ?since=5 is accepted as such
    assert "(full bundle)" in capsys.readouterr().out
    stored = json.loads(out.read_text())
    assert stored["etag"] == '"seq-6"' and stored["format"] == "hcx-device-bundle/1"


def test_sync_network_errors(root_pem: Path, tmp_path: Path, server: TrustServer) -> None:
    out = tmp_path / "bundle.json"
    bad_path = server.url.replace("/v1/trust", "/nope")
    assert main(["sync", "--url", bad_path, "--root", str(root_pem), "--out", str(out)]) == 2
    assert (
        main(["sync", "--url", "file:///etc/passwd", "--root", str(root_pem), "--out", str(out)])
        == 2
    )
    assert not out.exists()


def test_verify_exit_codes(
    root_key: SigningKey,
    root_pem: Path,
    bundle: TrustBundle,
    ed_key: SigningKey,
    make_claims: Callable[..., Claims],
    tmp_path: Path,
    now: datetime,
) -> None:
    out = tmp_path / "bundle.json"
    doc = sign_bundle(bundle, root_key)
    out.write_text(json.dumps({"format": "hcx-device-bundle/1", "etag": None, "doc": doc}))
    text = issue(make_claims(), ed_key, kind=HEALTH)
    base = ["verify", "--bundle", str(out), "--root", str(root_pem), "--now", now.isoformat()]
    assert main([*base, text]) == 0
    assert main([*base, "--alg", "ES256", text]) == 1
    assert main([*base, "HCX1:NOTACODE"]) == 1
    stale = (now + timedelta(days=2)).isoformat()
    assert main([*base[:-1], stale, text]) == 1
    assert main([*base, "--leeway", "-1", text]) == 2
    assert main([*base]) == 2  # neither text nor image

    from codes.qr import render_png

    image = tmp_path / "scan.png"
    image.write_bytes(render_png(text))
    assert main([*base, "--image", str(image)]) == 0
    (tmp_path / "blank.png").write_bytes(b"not an image")
    assert main([*base, "--image", str(tmp_path / "blank.png")]) == 2

    other_root = tmp_path / "other.pem"
    other_root.write_bytes(SigningKey.generate().public_pem())
    assert main(["verify", "--bundle", str(out), "--root", str(other_root), text]) == 2
    (tmp_path / "junk.json").write_text("{}")
    assert (
        main(["verify", "--bundle", str(tmp_path / "junk.json"), "--root", str(root_pem), text])
        == 2
    )
    with pytest.raises(SystemExit) as usage:
        main(["verify", text])
    assert usage.value.code == 2
