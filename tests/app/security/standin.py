"""A local stand-in for an outside HTTP provider (SMS gateway, carrier identity check)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# A reply: (status, JSON body) or None to stall for `stall` seconds (a timeout).
Reply = tuple[int, dict[str, Any]] | None


@dataclass
class StandIn:
    """What the provider received, and how it answers (replies are used in order)."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    default: Callable[[dict[str, Any]], tuple[int, dict[str, Any]]] = lambda _b: (200, {})
    stall: float = 3.0


@contextmanager
def stand_in(path: str = "/") -> Iterator[StandIn]:
    """Run a provider on 127.0.0.1 (a free port) for the duration of the block."""
    state = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            state.requests.append({"path": self.path, "headers": dict(self.headers), "json": body})
            reply = state.replies.pop(0) if state.replies else state.default(body)
            if reply is None:
                time.sleep(state.stall)
                reply = (504, {})
            status, payload = reply
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (timeout)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
