"""SMS delivery behind a small interface; the console backend logs the message."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, Protocol

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger("healthcode.sms")
OUTBOX_KEY = "healthcode:dev:sms"
OUTBOX_SIZE = 50


class SmsBackend(Protocol):
    """Something that can deliver a one-time code to a phone."""

    def send_otp(self, phone: str, code: str, ttl_minutes: int) -> None:
        """Deliver a login code."""


class ConsoleSms:
    """Development backend: one log line with the phone and the code.

    With `outbox` (a Redis, outside production) it also keeps the last OUTBOX_SIZE messages
    for the development page /dev/sms.
    """

    def __init__(self, outbox: Redis | None = None) -> None:
        self.outbox = outbox

    def send_otp(self, phone: str, code: str, ttl_minutes: int) -> None:
        """Write the code to the log (and the development outbox)."""
        text = f"your Healthcode login code is {code} (valid {ttl_minutes} minutes)"
        log.warning("SMS to %s: %s", phone, text)
        if self.outbox is None:
            return
        entry = {"to": phone, "text": text, "at": datetime.now(UTC).isoformat()}
        try:
            pipe = self.outbox.pipeline()
            pipe.lpush(OUTBOX_KEY, json.dumps(entry))
            pipe.ltrim(OUTBOX_KEY, 0, OUTBOX_SIZE - 1)
            pipe.execute()
        except RedisError:
            log.warning("development SMS outbox unavailable")

    def recent(self) -> list[dict[str, Any]]:
        """The last messages sent, newest first (empty without an outbox)."""
        if self.outbox is None:
            return []
        return [json.loads(raw) for raw in self.outbox.lrange(OUTBOX_KEY, 0, OUTBOX_SIZE - 1)]


def make_sms_backend(name: str, outbox: Redis | None = None) -> SmsBackend:
    """Create the configured SMS backend (`outbox`: keep recent messages, development only)."""
    if name == "console":
        return ConsoleSms(outbox)
    raise ValueError(f"unknown SMS backend {name!r}")
