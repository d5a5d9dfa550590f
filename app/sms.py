"""SMS delivery behind a small interface; the console backend logs the message."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, Protocol

from redis import Redis
from redis.exceptions import RedisError

from app.config import Settings
from app.errors import Unavailable
from app.outbound import Endpoint, OutboundError

log = logging.getLogger("healthcode.sms")
OUTBOX_KEY = "healthcode:dev:sms"
OUTBOX_SIZE = 50


class SmsBackend(Protocol):
    """Something that can deliver a one-time code, or a notice, to a phone."""

    def send_otp(self, phone: str, code: str, ttl_minutes: int) -> None:
        """Deliver a login code."""

    def send_notice(self, phone: str, text: str) -> None:
        """Deliver a short notice (e.g. an identity link moved)."""


class ConsoleSms:
    """Development backend: one log line with the phone and the code.

    With `outbox` (a Redis, outside production) it also keeps the last OUTBOX_SIZE messages
    for the development page /dev/sms.
    """

    def __init__(self, outbox: Redis | None = None) -> None:
        self.outbox = outbox

    def send_otp(self, phone: str, code: str, ttl_minutes: int) -> None:
        """Write the code to the log (and the development outbox)."""
        self.send_notice(
            phone, f"your Healthcode login code is {code} (valid {ttl_minutes} minutes)"
        )

    def send_notice(self, phone: str, text: str) -> None:
        """Write the message to the log (and the development outbox)."""
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
        raw: list[bytes] = self.outbox.lrange(OUTBOX_KEY, 0, OUTBOX_SIZE - 1)  # type: ignore[assignment]
        return [json.loads(item) for item in raw]


def masked_phone(phone: str) -> str:
    """A log-safe phone: country prefix and last two digits only (+86*********00)."""
    return phone[:3] + "*" * max(len(phone) - 5, 0) + phone[-2:]


class HttpSms:
    """An SMS gateway over HTTP: POST {"to", "text"} with a bearer key (see README, SMS).

    Never logs the code or the full number. A gateway that stays unreachable after the
    retries makes the request fail with 503 (the code is not delivered, so not usable).
    """

    def __init__(self, endpoint: Endpoint, template: str) -> None:
        self.endpoint = endpoint
        self.template = template

    def send_otp(self, phone: str, code: str, ttl_minutes: int) -> None:
        """Deliver the templated message through the gateway."""
        text = self.template.format(code=code, minutes=ttl_minutes)
        try:
            self.endpoint.post({"to": phone, "text": text})
        except OutboundError:
            log.error("SMS to %s not delivered", masked_phone(phone))
            raise Unavailable("The login code could not be sent; try again shortly.") from None
        log.info("SMS sent to %s", masked_phone(phone))

    def send_notice(self, phone: str, text: str) -> None:
        """Deliver a notice; a failure is logged (masked number), never raised."""
        try:
            self.endpoint.post({"to": phone, "text": text})
        except OutboundError:
            log.error("notice to %s not delivered", masked_phone(phone))


def make_sms_backend(settings: Settings, outbox: Redis | None = None) -> SmsBackend:
    """Create the configured SMS backend (`outbox`: keep recent messages, development only)."""
    if settings.sms_backend == "http":
        endpoint = Endpoint(
            settings.sms_http_url,
            settings.sms_http_key,
            settings.sms_http_timeout,
            settings.sms_http_retries,
            name="sms gateway",
        )
        return HttpSms(endpoint, settings.sms_template)
    if settings.sms_backend == "console" and not settings.production:
        return ConsoleSms(outbox)
    raise ValueError(f"SMS backend {settings.sms_backend!r} is not allowed here")
