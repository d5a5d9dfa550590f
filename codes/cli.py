"""Checkpoint CLI: `sync` a signed trust bundle, `verify` a code offline (stdlib only)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from codes.bundle import TrustBundle, load_bundle
from codes.errors import CodesError
from codes.jws import MAX_DOC_BYTES
from codes.keys import ALGORITHMS, VerificationKey
from codes.verify import check

EXIT_VALID, EXIT_INVALID, EXIT_ERROR = 0, 1, 2
STORE_FORMAT = "hcx-device-bundle/1"


class CliError(Exception):
    """A usage, network or bundle problem (exit status 2)."""


def _root(path: str) -> VerificationKey:
    try:
        return VerificationKey.from_pem(Path(path).read_bytes())
    except (OSError, CodesError) as exc:
        raise CliError(f"cannot load root public key {path}: {exc}") from exc


def _read_store(path: Path) -> dict[str, Any]:
    try:
        store = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read bundle file {path}: {exc}") from exc
    if type(store) is not dict or store.get("format") != STORE_FORMAT or "doc" not in store:
        raise CliError(f"{path} is not a {STORE_FORMAT} file")
    return store


def _load_store(path: Path, root: VerificationKey) -> tuple[TrustBundle, dict[str, Any]]:
    store = _read_store(path)
    try:
        return load_bundle(store["doc"], root), store
    except CodesError as exc:
        raise CliError(f"stored bundle {path} does not verify: {exc}") from exc


def _fetch(url: str, etag: str | None, timeout: float) -> tuple[Any, str | None] | None:
    if not url.startswith(("http://", "https://")):
        raise CliError("--url must be http:// or https://")
    headers = {"Accept": "application/json"}
    if etag:
        headers["If-None-Match"] = etag
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (scheme checked)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read(MAX_DOC_BYTES + 1)
            new_etag = response.headers.get("ETag")
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return None
        raise CliError(f"server answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise CliError(f"cannot fetch {url}: {exc}") from exc
    if len(body) > MAX_DOC_BYTES:
        raise CliError("bundle document too large")
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise CliError("server did not return JSON") from exc
    if type(doc) is dict and type(doc.get("bundle")) is dict:
        doc = doc["bundle"]
    return doc, new_etag


def cmd_sync(args: argparse.Namespace) -> int:
    """Fetch, verify against the pinned root, refuse rollback, store atomically."""
    root = _root(args.root)
    out = Path(args.out)
    held, store = _load_store(out, root) if out.exists() else (None, {})
    fetched = _fetch(args.url, store.get("etag"), args.timeout)
    if fetched is None:
        print(f"not modified: keeping seq {held.seq if held else '?'}")
        return EXIT_VALID
    doc, etag = fetched
    try:
        bundle = load_bundle(doc, root, held=held)
    except CodesError as exc:
        raise CliError(f"refused bundle: {type(exc).__name__}: {exc}") from exc
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps({"format": STORE_FORMAT, "etag": etag, "doc": doc}))
    os.replace(tmp, out)
    print(
        f"synced seq {bundle.seq} issued_at {bundle.issued_at.isoformat()} "
        f"keys {len(bundle.keys)} revocations {len(bundle.revocations)}"
    )
    return EXIT_VALID


def _parse_now(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        if value.lstrip("-").isdigit():
            return datetime.fromtimestamp(int(value), UTC)
        parsed = datetime.fromisoformat(value)
    except (ValueError, OverflowError) as exc:
        raise CliError(f"--now must be ISO 8601 or epoch seconds: {exc}") from exc
    return parsed if parsed.utcoffset() is not None else parsed.replace(tzinfo=UTC)


def _code_text(args: argparse.Namespace) -> str:
    if (args.code is None) == (args.image is None):
        raise CliError("give either CODE_TEXT or --image")
    if args.code is not None:
        return str(args.code).strip()
    from codes import qr  # imported only when an image is given

    try:
        return qr.decode_image(Path(args.image).read_bytes())
    except (OSError, CodesError) as exc:
        raise CliError(f"cannot read a QR code from {args.image}: {exc}") from exc


def cmd_verify(args: argparse.Namespace) -> int:
    """Verify one code offline; exit 0 only when valid."""
    now = _parse_now(args.now)
    if args.leeway < 0:
        raise CliError("--leeway must not be negative")
    bundle, _ = _load_store(Path(args.bundle), _root(args.root))
    text = _code_text(args)
    result = check(
        text, bundle, now=now, leeway=args.leeway, algorithms=tuple(args.alg or ALGORITHMS)
    )
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        for name, value in result.to_dict().items():
            print(f"{name}: {'' if value is None else value}")
    return EXIT_VALID if result.valid else EXIT_INVALID


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser for `python -m codes`."""
    parser = argparse.ArgumentParser(prog="python -m codes", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sync = sub.add_parser("sync", help="fetch and verify the signed trust bundle")
    sync.add_argument("--url", required=True)
    sync.add_argument("--root", required=True, help="pinned root public key (PEM)")
    sync.add_argument("--out", required=True, help="bundle file to write")
    sync.add_argument("--timeout", type=float, default=10.0)
    sync.set_defaults(func=cmd_sync)
    ver = sub.add_parser("verify", help="verify a code offline")
    ver.add_argument("code", nargs="?", metavar="CODE_TEXT")
    ver.add_argument("--image", help="PNG/JPEG with the QR code")
    ver.add_argument("--bundle", required=True)
    ver.add_argument("--root", required=True, help="pinned root public key (PEM)")
    ver.add_argument("--now", help="override the clock (ISO 8601 or epoch seconds)")
    ver.add_argument("--leeway", type=int, default=60, help="clock skew seconds")
    ver.add_argument("--alg", action="append", choices=ALGORITHMS, help="allowed algorithm(s)")
    ver.add_argument("--json", action="store_true", help="print one JSON object")
    ver.set_defaults(func=cmd_verify)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        status: int = args.func(args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return status
