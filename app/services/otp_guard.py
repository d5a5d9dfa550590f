"""Counting wrong login codes so guessing stays infeasible and nobody locks the owner out.

Three counts, all keyed by keyed hashes (Redis never holds a phone number or an address):

- per code: `otp_max_attempts` wrong tries burn the code (the challenge row, in the database);
- per phone and address: `PAIR_MAX` failures per `PAIR_WINDOW` close that phone to that
  address only, so one attacker's address cannot shut out the owner's;
- per phone, from anywhere: after `FREE_FAILURES` failures each further one sets a back-off
  of `BACKOFF_BASE` x 2^k seconds, capped at `BACKOFF_CAP` (a few minutes). While it runs no
  code is checked for that phone (429 with Retry-After). A fresh code sent to the phone
  resets it, so the owner who asks for a new code can use it at once.

Redis unavailable: the guard fails closed (503 with Retry-After), as the rate limits do.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime

from redis import Redis
from redis.exceptions import RedisError

from app.errors import TooManyAttempts, Unavailable
from app.security.hashing import keyed_hash

log = logging.getLogger("healthcode.auth")
PAIR_MAX = 10
PAIR_WINDOW = 3600
FREE_FAILURES = 5
BACKOFF_BASE = 15
BACKOFF_CAP = 300
PHONE_WINDOW = 24 * 3600
_PREFIX = "healthcode:otp-guard:"


@dataclass(frozen=True)
class OtpGuard:
    """The counts for one request: its phone (by keyed hash) and the caller's address."""

    redis: Redis
    key: str  # the server key the counters' names are hashed with
    address: str

    def _pair(self, phone_hash: str) -> str:
        return _PREFIX + "pair:" + keyed_hash(self.key, "otp-pair", f"{phone_hash}|{self.address}")

    def _phone(self, phone_hash: str) -> str:
        return _PREFIX + "phone:" + keyed_hash(self.key, "otp-phone", phone_hash)

    def check(self, phone_hash: str, now: datetime) -> None:
        """Raise TooManyAttempts while this phone is in back-off or closed to this address."""
        try:
            pipe = self.redis.pipeline()
            pipe.get(self._pair(phone_hash))
            pipe.ttl(self._pair(phone_hash))
            pipe.hget(self._phone(phone_hash), "until")
            pair, pair_ttl, until = pipe.execute()
        except RedisError:
            # Fail closed: without the counts, guessing would only meet the per-code limit.
            log.warning("OTP guard unavailable; refusing the attempt")
            raise Unavailable(
                "Login codes cannot be checked right now; try again shortly."
            ) from None
        if pair is not None and int(pair) >= PAIR_MAX:
            raise TooManyAttempts(
                "Too many wrong codes for this phone from your network; try again later.",
                retry_after=max(int(pair_ttl), 1),
            )
        wait = float(until) - now.timestamp() if until is not None else 0.0
        if wait > 0:
            raise TooManyAttempts(
                "Too many wrong codes for this phone; wait, or ask for a new code.",
                retry_after=math.ceil(wait),
            )

    def failed(self, phone_hash: str, now: datetime) -> None:
        """Count a wrong code for this phone and address; start or extend the back-off."""
        try:
            pipe = self.redis.pipeline()
            pipe.set(self._pair(phone_hash), 0, ex=PAIR_WINDOW, nx=True)  # window from 1st
            pipe.incr(self._pair(phone_hash))
            pipe.hincrby(self._phone(phone_hash), "failures", 1)
            pipe.expire(self._phone(phone_hash), PHONE_WINDOW)
            failures = int(pipe.execute()[2])
            if failures > FREE_FAILURES:
                delay = min(BACKOFF_BASE * 2 ** min(failures - FREE_FAILURES - 1, 16), BACKOFF_CAP)
                self.redis.hset(self._phone(phone_hash), "until", now.timestamp() + delay)
        except RedisError:
            log.warning("OTP guard unavailable; failure not counted")

    def reset(self, phone_hash: str) -> None:
        """A fresh code went to the phone, or its owner logged in: the back-off starts over."""
        try:
            self.redis.delete(self._phone(phone_hash))
        except RedisError:
            log.warning("OTP guard unavailable; back-off not reset")
