"""Settings read once from HEALTHCODE_* environment variables and validated."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from limits import parse_many

from codes.kinds import HEALTH

PREFIX = "HEALTHCODE_"
DEFAULT_SECRET = "dev-insecure-secret-key-change-me-before-production"  # noqa: S105
DEFAULT_ID_HASH_KEY = "dev-insecure-id-hash-key-change-me-before-production"
DEFAULT_KEY_PASSPHRASE = "dev-insecure-key-passphrase"  # noqa: S105
MAX_PHONE_LOCKOUT = 300
"""The longest per-phone OTP window: how long a stranger could keep the owner from a code."""
ENVIRONMENTS = ("development", "testing", "production")
SMS_BACKENDS = ("console", "http")
# development and none prove nothing (labelled as such); production needs telco or counter.
IDENTITY_PROVIDERS = ("telco", "counter", "development", "none")
INSTANCE_DIR = Path(os.environ.get("HEALTHCODE_INSTANCE_DIR", "instance")).resolve()
RULE_LOOKBACK_DAYS = 14
"""The longest look-back of the default policy (risk/policies/default.json: positive tests and
close contacts count for 14 days): feed records must be kept longer than that."""
MAX_FEED_RETENTION_DAYS = 3650


class ConfigError(ValueError):
    """The configuration is invalid; the service refuses to start."""


@dataclass(frozen=True)
class Settings:
    """Validated service settings; each field maps to HEALTHCODE_<NAME>."""

    env: str = "development"
    debug: bool = False
    secret_key: str = DEFAULT_SECRET
    id_hash_key: str = DEFAULT_ID_HASH_KEY
    key_passphrase: str = DEFAULT_KEY_PASSPHRASE
    database_url: str = f"sqlite:///{INSTANCE_DIR / 'healthcode.db'}"
    redis_url: str = "redis://127.0.0.1:6379/0"
    issuer: str = "HC"
    code_ttl: int = 12 * 3600
    code_alg: str = "ES256"
    trust_max_offline_age: int = 24 * 3600
    access_token_ttl: int = 15 * 60
    refresh_token_ttl: int = 30 * 24 * 3600
    otp_ttl: int = 5 * 60
    otp_max_attempts: int = 5
    otp_rate_limit_phone: str = "1 per 30 seconds;2 per 5 minutes"
    otp_rate_limit_ip: str = "20 per minute;200 per hour"
    login_rate_limit: str = "10 per minute"
    sms_backend: str = "console"
    sms_http_url: str = ""
    sms_http_key: str = ""
    sms_template: str = "Your Healthcode login code is {code}. It expires in {minutes} minutes."
    sms_http_timeout: int = 5
    sms_http_retries: int = 2
    identity_provider: str = "development"
    identity_telco_url: str = ""
    identity_telco_key: str = ""
    identity_telco_timeout: int = 5
    identity_telco_retries: int = 2
    max_content_length: int = 1024 * 1024
    max_upload_bytes: int = 2 * 1024 * 1024
    feed_max_records: int = 10_000
    feed_max_bytes: int = 16 * 1024 * 1024
    clock_skew: int = 300
    feed_retention_days: int = 90  # feed records received longer ago are purged (> look-back)
    queue_name: str = "healthcode"
    redis_timeout: float = 1.0  # seconds for every Redis call: a frozen Redis fails fast
    live_cache_seconds: float = 30.0  # hot reads kept in memory at most this long (0: off)
    outbox_lease: int = 15  # a running outbox job renews its lease; once it lapses, re-sent
    heartbeat_dir: str = str(INSTANCE_DIR / "heartbeat")  # worker/scheduler liveness files
    outbox_stale_after: int = 600
    recompute_chunk: int = 25_000  # people per job: a job costs ~0.3 s (fork, connect)
    scheduler_interval: int = 5
    expiry_interval: int = 30
    log_level: str = "INFO"
    log_json: bool = True
    demo_password: str = "demo"  # noqa: S105
    trusted_proxies: int = 0
    place_code_rotation: int = 7 * 24 * 3600
    place_code_grace: int = 24 * 3600
    checkin_duration: int = 2 * 3600
    checkin_repeat_window: int = 5 * 60
    exposure_window_days: int = 4
    checkin_retention_days: int = 28  # venue check-ins that began longer ago are purged
    poster_font: str = ""

    @property
    def production(self) -> bool:
        """True when running in production mode."""
        return self.env == "production"

    @classmethod
    def load(
        cls, environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
    ) -> Settings:
        """Build settings from the environment, then apply overrides (tests pass a dict)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        known = {f.name: f for f in fields(cls)}
        for name, f in known.items():
            raw = environ.get(PREFIX + name.upper())
            if raw is not None:
                values[name] = _coerce(name, f.type, raw)
        for key, value in (overrides or {}).items():
            name = key.lower()
            if name not in known:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f" (did you mean {close[0].upper()}?)" if close else ""
                raise ConfigError(f"unknown setting {key!r}{hint}")
            values[name] = (
                _coerce(name, known[name].type, value) if isinstance(value, str) else value
            )
        if values.get("env", "development") == "development" and "redis_url" not in values:
            found = dev_redis_url()
            if found:
                values["redis_url"] = found
        settings = replace(cls(), **values)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Refuse unsafe or inconsistent settings."""
        problems: list[str] = []
        if self.env not in ENVIRONMENTS:
            problems.append(f"HEALTHCODE_ENV must be one of {', '.join(ENVIRONMENTS)}")
        if self.production:
            if self.debug:
                problems.append("HEALTHCODE_DEBUG must be off in production")
            for name, default in (
                ("secret_key", DEFAULT_SECRET),
                ("id_hash_key", DEFAULT_ID_HASH_KEY),
                ("key_passphrase", DEFAULT_KEY_PASSPHRASE),
            ):
                value = getattr(self, name)
                if not value or value == default:
                    problems.append(f"HEALTHCODE_{name.upper()} must be set to a non-default value")
                elif len(value) < 32:
                    problems.append(f"HEALTHCODE_{name.upper()} must be at least 32 characters")
            problems.extend(self._shared_secrets())
        if self.code_alg not in ("ES256", "EdDSA"):
            problems.append("HEALTHCODE_CODE_ALG must be ES256 or EdDSA")
        problems.extend(self._venue_problems())
        for name in ("code_ttl", "access_token_ttl", "refresh_token_ttl", "otp_ttl"):
            if getattr(self, name) <= 0:
                problems.append(f"HEALTHCODE_{name.upper()} must be positive")
        longest = int(HEALTH.max_lifetime.total_seconds())
        if self.code_ttl > longest:
            problems.append(f"HEALTHCODE_CODE_TTL must be at most {longest} (a health code's life)")
        if not RULE_LOOKBACK_DAYS < self.feed_retention_days <= MAX_FEED_RETENTION_DAYS:
            problems.append(
                f"HEALTHCODE_FEED_RETENTION_DAYS must exceed the rules' longest look-back "
                f"({RULE_LOOKBACK_DAYS} days) and be at most {MAX_FEED_RETENTION_DAYS}"
            )
        problems.extend(self._delivery_problems())
        problems.extend(self._rate_limit_problems())
        problems.extend(self._identity_problems())
        if problems:
            raise ConfigError("; ".join(problems))

    def _shared_secrets(self) -> list[str]:
        """Each secret must differ from every other one (a leak of one must not give two)."""
        names = (
            "secret_key",
            "id_hash_key",
            "key_passphrase",
            "sms_http_key",
            "identity_telco_key",
        )
        seen: dict[str, str] = {}
        problems = []
        for name in names:
            value = getattr(self, name)
            if value and value in seen:
                problems.append(
                    f"HEALTHCODE_{name.upper()} must differ from HEALTHCODE_{seen[value].upper()}"
                )
            seen.setdefault(value, name)
        return problems

    def _rate_limit_problems(self) -> list[str]:
        """Rate limits must parse; the per-phone one may not shut the owner out for long.

        Anyone can ask for codes for any phone: a per-phone window of an hour would let a
        stranger use up the phone's allowance and keep its owner from logging in that long.
        """
        problems = []
        for name in ("otp_rate_limit_phone", "otp_rate_limit_ip", "login_rate_limit"):
            try:
                parsed = parse_many(getattr(self, name))
            except ValueError:
                problems.append(f"HEALTHCODE_{name.upper()} is not a rate limit")
                continue
            if name == "otp_rate_limit_phone" and any(
                limit.get_expiry() > MAX_PHONE_LOCKOUT for limit in parsed
            ):
                problems.append(
                    f"HEALTHCODE_OTP_RATE_LIMIT_PHONE windows must be at most "
                    f"{MAX_PHONE_LOCKOUT} seconds (a stranger could keep the owner out that long)"
                )
        return problems

    def _delivery_problems(self) -> list[str]:
        problems = []
        if self.sms_backend not in SMS_BACKENDS:
            problems.append(f"HEALTHCODE_SMS_BACKEND must be one of {', '.join(SMS_BACKENDS)}")
        if self.production and self.sms_backend == "console":
            problems.append("HEALTHCODE_SMS_BACKEND=console logs login codes: not in production")
        if self.sms_backend == "http" and not (self.sms_http_url and self.sms_http_key):
            problems.append("HEALTHCODE_SMS_HTTP_URL and HEALTHCODE_SMS_HTTP_KEY must be set")
        if "{code}" not in self.sms_template:
            problems.append("HEALTHCODE_SMS_TEMPLATE must contain {code}")
        if self.sms_http_timeout <= 0 or not 0 <= self.sms_http_retries <= 5:
            problems.append("HEALTHCODE_SMS_HTTP_TIMEOUT > 0 and HTTP_RETRIES 0-5")
        return problems

    def _venue_problems(self) -> list[str]:
        problems = []
        if not 3600 <= self.place_code_rotation <= 180 * 24 * 3600:
            problems.append("HEALTHCODE_PLACE_CODE_ROTATION must be 3600 s to 180 days")
        if not 0 <= self.place_code_grace <= 30 * 24 * 3600:
            problems.append("HEALTHCODE_PLACE_CODE_GRACE must be 0 to 30 days")
        if not 60 <= self.checkin_duration <= 12 * 3600:
            problems.append("HEALTHCODE_CHECKIN_DURATION must be 60 s to 12 h")
        if not 0 <= self.checkin_repeat_window <= 3600:
            problems.append("HEALTHCODE_CHECKIN_REPEAT_WINDOW must be 0 to 3600 s")
        if not 1 <= self.exposure_window_days <= 30:
            problems.append("HEALTHCODE_EXPOSURE_WINDOW_DAYS must be 1 to 30")
        # the rules read visits as stays, and an exposure looks back over the case's visits
        needed = max(RULE_LOOKBACK_DAYS, self.exposure_window_days)
        if not needed < self.checkin_retention_days <= MAX_FEED_RETENTION_DAYS:
            problems.append(
                f"HEALTHCODE_CHECKIN_RETENTION_DAYS must exceed the rules' look-back and the "
                f"exposure window ({needed} days) and be at most {MAX_FEED_RETENTION_DAYS}"
            )
        return problems

    def _identity_problems(self) -> list[str]:
        problems = []
        if self.identity_provider not in IDENTITY_PROVIDERS:
            problems.append(
                f"HEALTHCODE_IDENTITY_PROVIDER must be one of {', '.join(IDENTITY_PROVIDERS)}"
            )
        if self.production and self.identity_provider in ("none", "development"):
            problems.append(
                "HEALTHCODE_IDENTITY_PROVIDER must prove identities in production: telco or counter"
            )
        if self.identity_provider == "telco" and not (
            self.identity_telco_url and self.identity_telco_key
        ):
            problems.append(
                "HEALTHCODE_IDENTITY_TELCO_URL and HEALTHCODE_IDENTITY_TELCO_KEY must be set"
            )
        if self.identity_telco_timeout <= 0 or not 0 <= self.identity_telco_retries <= 5:
            problems.append("HEALTHCODE_IDENTITY_TELCO_TIMEOUT > 0 and _RETRIES 0-5")
        return problems


DEV_REDIS_FILE = INSTANCE_DIR / "redis.url"


def prometheus_multiproc_dir() -> str | None:
    """PROMETHEUS_MULTIPROC_DIR, set per gunicorn instance by gunicorn.conf.py (metrics of
    all its workers are summed from the files there); None in a single process."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def dev_redis_url() -> str | None:
    """The embedded Redis of a running `make run` (development only): the URL it wrote to
    instance/redis.url, if its socket still exists; so `flask ...` in a second terminal
    finds it."""
    try:
        url = DEV_REDIS_FILE.read_text().strip()
    except OSError:
        return None
    socket = url.removeprefix("unix://").split("?", 1)[0]
    return url if url.startswith("unix://") and Path(socket).exists() else None


def _coerce(name: str, kind: Any, raw: str) -> Any:
    kind = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
    try:
        if kind == "bool":
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        raise ConfigError(f"HEALTHCODE_{name.upper()}: cannot read {raw!r} as {kind}") from None
    return raw
