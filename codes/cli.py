"""Checkpoint CLI: `sync` a signed trust bundle, `verify` a code offline.

Needs only the codes package and its dependencies (cryptography, cbor2); --image also needs
the [qr] extra (zxing-cpp, Pillow)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from codes.b64 import b64u_decode
from codes.bundle import (
    TYP_BUNDLE,
    TYP_DELTA,
    BundleDelta,
    TrustBundle,
    apply_delta,
    load_bundle,
)
from codes.claims import PlaceClaims
from codes.errors import BundleDeltaMismatchError, CodesError, VerificationError
from codes.handover import follow
from codes.jws import MAX_DOC_BYTES, jws_verify
from codes.keys import ALGORITHMS, VerificationKey
from codes.kinds import KINDS, PLACE, KindName
from codes.policy import EntryPolicy, decide
from codes.verify import VerificationResult, check, verify

EXIT_VALID, EXIT_INVALID, EXIT_ERROR = 0, 1, 2
# /1: {"format", "etag", "doc"}: one signed full bundle.
# /2: the same plus "deltas": signed deltas applied in order on top of "doc". Written only
# when there are deltas, so that a CLI that knows only /1 refuses the file instead of
# silently using the older base bundle (which lacks the newer revocations).
STORE_FORMAT: Final = "hcx-device-bundle/1"
STORE_FORMAT_DELTAS: Final = "hcx-device-bundle/2"
# A longer chain is replaced by a full fetch; consecutive deltas that only refresh the signed
# time are collapsed, so the chain grows only with real changes.
MAX_DELTAS: Final = 32


class CliError(Exception):
    """A usage, network or bundle problem (exit status 2)."""


class _HttpStatusError(CliError):
    """The server answered with an HTTP error status."""

    def __init__(self, status: int) -> None:
        super().__init__(f"server answered HTTP {status}")
        self.status = status


@dataclass
class _Store:
    """What the bundle file holds: the signed documents and the state they verify to."""

    bundle: TrustBundle
    doc: dict[str, Any]
    deltas: list[dict[str, Any]] = field(default_factory=list)
    etag: str | None = None
    handovers: list[Any] = field(default_factory=list)  # root hand-overs followed, in order


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
    if type(store) is not dict or "doc" not in store:
        raise CliError(f"{path} is not a {STORE_FORMAT} file")
    if store.get("format") == STORE_FORMAT:
        if "deltas" in store:
            raise CliError(f"{path}: a {STORE_FORMAT} file holds no deltas")
    elif store.get("format") != STORE_FORMAT_DELTAS or type(store.get("deltas")) is not list:
        raise CliError(f"{path} is not a {STORE_FORMAT} or {STORE_FORMAT_DELTAS} file")
    etag = store.get("etag")
    if etag is not None and not isinstance(etag, str):
        raise CliError(f"{path}: etag must be a string")
    if type(store.get("handovers", [])) is not list:
        raise CliError(f"{path}: handovers must be a list")
    return store


def _load_store(path: Path, pinned: VerificationKey) -> _Store:
    """Read the file and re-verify everything in it: the root hand-overs from the pinned
    root, then the documents against the root they lead to."""
    store = _read_store(path)
    deltas = list(store.get("deltas", []))
    try:
        root, handovers = follow(pinned, store.get("handovers", []))
        bundle = load_bundle(store["doc"], root)
        for delta in deltas:
            bundle = apply_delta(bundle, delta, root)
    except CodesError as exc:
        raise CliError(f"stored bundle {path} does not verify: {exc}") from exc
    return _Store(bundle, store["doc"], deltas, store.get("etag"), handovers)


def _write_store(path: Path, store: _Store) -> None:
    """Write atomically: a crash leaves either the old or the new file."""
    data: dict[str, Any] = {
        "format": STORE_FORMAT_DELTAS if store.deltas else STORE_FORMAT,
        "etag": store.etag,
        "doc": store.doc,
    }
    if store.deltas:
        data["deltas"] = store.deltas
    if store.handovers:
        data["handovers"] = store.handovers
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w") as f:
        f.write(json.dumps(data))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _with_since(url: str, seq: int) -> str:
    parts = urllib.parse.urlsplit(url)
    query = [
        (k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k not in ("since", "cutoffs")
    ]
    query += [("since", str(seq)), ("cutoffs", "1")]  # this verifier applies them
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _fetch(url: str, etag: str | None, timeout: float) -> tuple[Any, str | None] | None:
    """GET a signed document; None on 304 Not Modified."""
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
        raise _HttpStatusError(exc.code) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise CliError(f"cannot fetch {url}: {exc}") from exc
    if len(body) > MAX_DOC_BYTES:
        raise CliError("bundle document too large")
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise CliError("server did not return JSON") from exc
    for wrapper in ("bundle", "delta"):  # {"bundle": doc} / {"delta": doc} are accepted too
        if type(doc) is dict and type(doc.get(wrapper)) is dict:
            doc = doc[wrapper]
            break
    return doc, new_etag


def _typ(doc: Any) -> str | None:
    """The unverified JWS `typ` (to tell a delta from a full bundle; checked when verified)."""
    if type(doc) is not dict or not isinstance(doc.get("protected"), str):
        return None
    try:
        header = json.loads(b64u_decode(doc["protected"]))
    except ValueError:
        return None
    typ = header.get("typ") if type(header) is dict else None
    return typ if isinstance(typ, str) else None


def _refresh_only(doc: dict[str, Any], root: VerificationKey) -> bool:
    """True for a delta that changes no revocation and no seq (it only re-signs the time)."""
    delta = BundleDelta.from_payload(json.loads(jws_verify(doc, root, TYP_DELTA)))
    return (
        delta.base_seq == delta.seq
        and not delta.revocations_added
        and not delta.revocations_removed
    )


def _summary(bundle: TrustBundle) -> str:
    return (
        f"seq {bundle.seq} issued_at {bundle.issued_at.isoformat()} "
        f"keys {len(bundle.keys)} revocations {len(bundle.revocations)}"
    )


def _sync_full(
    args: argparse.Namespace, root: VerificationKey, held: _Store | None, handovers: list[Any]
) -> int:
    fetched = _fetch(args.url, None, args.timeout)  # unconditional: we want a body
    if fetched is None:
        raise CliError("server answered 304 to an unconditional request")
    doc, etag = fetched
    return _store_full(Path(args.out), root, held, doc, etag, "", handovers)


def _store_full(
    out: Path,
    root: VerificationKey,
    held: _Store | None,
    doc: Any,
    etag: str | None,
    note: str,
    handovers: list[Any],
) -> int:
    try:
        bundle = load_bundle(doc, root, held=None if held is None else held.bundle)
    except CodesError as exc:
        raise CliError(f"refused bundle: {type(exc).__name__}: {exc}") from exc
    _write_store(out, _Store(bundle, doc, [], etag, handovers))
    print(f"synced {_summary(bundle)}{note}")
    return EXIT_VALID


def _sync_delta(args: argparse.Namespace, root: VerificationKey, held: _Store) -> int | None:
    """Ask for the changes since the held seq; None means 'fall back to a full fetch'."""
    try:
        fetched = _fetch(_with_since(args.url, held.bundle.seq), held.etag, args.timeout)
    except _HttpStatusError as exc:
        if not 400 <= exc.status < 500 or exc.status == 429:
            raise
        print(f"delta refused (HTTP {exc.status}): fetching the full bundle")
        return None
    if fetched is None:
        print(f"unchanged: not modified, keeping seq {held.bundle.seq}")
        return EXIT_VALID
    doc, etag = fetched
    if _typ(doc) == TYP_BUNDLE:  # a server that ignores `since`
        return _store_full(Path(args.out), root, held, doc, etag, " (full bundle)", held.handovers)
    try:
        bundle = apply_delta(held.bundle, doc, root)
    except BundleDeltaMismatchError as exc:
        print(f"delta does not apply ({exc}): fetching the full bundle")
        return None
    except CodesError as exc:
        raise CliError(f"refused delta: {type(exc).__name__}: {exc}") from exc
    deltas = list(held.deltas)
    try:
        while deltas and _refresh_only(deltas[-1], root):
            deltas.pop()  # the new delta carries every field a refresh-only delta set
    except (CodesError, ValueError) as exc:  # verified on load: cannot happen
        raise CliError(f"stored delta does not verify: {exc}") from exc
    _write_store(Path(args.out), _Store(bundle, held.doc, [*deltas, doc], etag, held.handovers))
    print(f"synced {_summary(bundle)} (delta from seq {held.bundle.seq})")
    return EXIT_VALID


def cmd_sync(args: argparse.Namespace) -> int:
    """Fetch (a delta when a bundle is held), verify against the pinned root, refuse
    rollback, store atomically."""
    pinned = _root(args.root)
    out = Path(args.out)
    held = _load_store(out, pinned) if out.exists() else None
    known = [] if held is None else held.handovers
    try:
        root, handovers = follow(pinned, [*known, *_fetch_handovers(args)])
    except CodesError as exc:
        raise CliError(f"refused root hand-over: {type(exc).__name__}: {exc}") from exc
    if len(handovers) > len(known):
        print(f"the root key was handed over: now trusting {root.kid_b64}")
        return _sync_full(args, root, held, handovers)  # documents of the new root only
    if held is not None and len(held.deltas) < MAX_DELTAS:
        status = _sync_delta(args, root, held)
        if status is not None:
            return status
    return _sync_full(args, root, held, handovers)


def _fetch_handovers(args: argparse.Namespace) -> list[Any]:
    """The server's root hand-over statements (none from a server without them)."""
    parts = urllib.parse.urlsplit(args.url)
    url = urllib.parse.urlunsplit(
        parts._replace(path=parts.path.rstrip("/") + "/handovers", query="")
    )
    try:
        fetched = _fetch(url, None, args.timeout)
    except _HttpStatusError as exc:
        if exc.status == 404:
            return []
        raise
    body = None if fetched is None else fetched[0]
    if type(body) is not dict or type(body.get("handovers")) is not list:
        raise CliError("the server's hand-over list is malformed")
    return list(body["handovers"])


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


def _place_policy(args: argparse.Namespace, bundle: TrustBundle, now: datetime) -> EntryPolicy:
    """The entry policy of the venue's place code (which must itself verify)."""
    try:
        place = verify(args.place_code.strip(), bundle, kinds=[PLACE], now=now, leeway=args.leeway)
    except VerificationError as exc:
        raise CliError(f"the place code is not valid: {exc.reason}") from exc
    assert isinstance(place.claims, PlaceClaims)
    return EntryPolicy.of(place.claims)


def _print(values: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(values))
    else:
        for name, value in values.items():
            print(f"{name}: {'' if value is None else value}")


def cmd_verify(args: argparse.Namespace) -> int:
    """Verify one code offline; exit 0 only when valid (with --place-code: when admitted)."""
    now = _parse_now(args.now)
    if args.leeway < 0:
        raise CliError("--leeway must not be negative")
    bundle = _load_store(Path(args.bundle), _root(args.root)).bundle
    policy = None if args.place_code is None else _place_policy(args, bundle, now)
    text = _code_text(args)
    accepted = args.kind or [KindName.HEALTH]
    result: VerificationResult = check(
        text,
        bundle,
        kinds=[k for k in KINDS if k.name in accepted],
        now=now,
        leeway=args.leeway,
        algorithms=tuple(args.alg or ALGORITHMS),
    )
    values = result.to_dict()
    if policy is None:
        _print(values, args.json)
        return EXIT_VALID if result.valid else EXIT_INVALID
    tested = None if args.negative_test_at is None else _parse_now(args.negative_test_at)
    decision = decide(policy, result, now=now, negative_test_at=tested)
    values.update(admit=decision.admit, entry_reason=decision.reason)
    _print(values, args.json)
    return EXIT_VALID if decision.admit else EXIT_INVALID


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser for `python -m codes`."""
    parser = argparse.ArgumentParser(prog="python -m codes", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sync = sub.add_parser(
        "sync", help="fetch and verify the signed trust bundle (a delta when one is held)"
    )
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
    ver.add_argument(
        "--kind",
        action="append",
        choices=[k.name.value for k in KINDS],
        help="accepted code kind(s) (default: health)",
    )
    ver.add_argument(
        "--place-code",
        help="a venue's place code (HCP1:...): apply its entry policy (exit 0 only if admitted)",
    )
    ver.add_argument(
        "--negative-test-at",
        help="sampling time (ISO 8601 or epoch) of a negative test seen, for a test rule",
    )
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
