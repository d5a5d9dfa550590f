"""SMS delivery behind a small interface; the console backend logs the message."""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger("healthcode.sms")


class SmsBackend(Protocol):
    """Something that can deliver a one-time code to a phone."""

    def send_otp(self, phone: str, code: str, ttl_minutes: int) -> None:
        """Deliver a login code."""


class ConsoleSms:
    """Development backend: one log line with the phone and the code, nothing else."""

    def send_otp(self, phone: str, code: str, ttl_minutes: int) -> None:
        """Write the code to the log (the only place a code ever appears)."""
        log.warning(
            "SMS to %s: your Healthcode login code is %s (valid %d minutes)",
            phone,
            code,
            ttl_minutes,
        )


def make_sms_backend(name: str) -> SmsBackend:
    """Create the configured SMS backend."""
    if name == "console":
        return ConsoleSms()
    raise ValueError(f"unknown SMS backend {name!r}")
