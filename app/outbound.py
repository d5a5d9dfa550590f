"""JSON over HTTP to outside providers (SMS gateway, carrier identity check): bounded retries."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("healthcode.outbound")
RETRY_PAUSE = 0.2  # seconds before the first retry, doubled for each later one


class OutboundError(Exception):
    """A provider could not be reached or refused the request after the allowed retries."""


@dataclass(frozen=True)
class Endpoint:
    """Where a provider listens, the key it expects, and how long and how often to try."""

    url: str
    key: str
    timeout: float
    retries: int
    name: str = "provider"

    def post(self, payload: dict[str, Any]) -> dict[str, Any]:
        """POST JSON with a bearer key; the JSON answer of a 2xx, else OutboundError.

        Timeouts, connection errors, 429 and 5xx are retried `retries` times with a short
        doubling pause; other 4xx answers are final.
        """
        body = json.dumps(payload).encode()
        last = "no attempt"
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(RETRY_PAUSE * 2 ** (attempt - 1))
            request = urllib.request.Request(  # noqa: S310 (URL from validated settings)
                self.url,
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                    "Authorization": f"Bearer {self.key}",
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    raw = response.read(64 * 1024)
                return _json_object(raw)
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}"
                if exc.code != 429 and exc.code < 500:
                    break
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                last = type(exc).__name__
            log.warning(
                "%s call failed", self.name, extra={"attempt": attempt + 1, "failure": last}
            )
        raise OutboundError(f"{self.name}: {last}")


def _json_object(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise OutboundError("provider answered with something other than JSON") from None
    if not isinstance(value, dict):
        raise OutboundError("provider answered with something other than a JSON object")
    return value
