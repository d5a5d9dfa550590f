"""Healthcode: the Flask application factory (wiring only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from redis import Redis

from app import hardening, metrics, outages
from app.api import register_blueprints
from app.cli import register_cli
from app.config import Settings
from app.db import Database, utcnow
from app.extensions import Container, HealthcodeFlask, close_request, init_limiter
from app.live_cache import LiveCache, stale_channel, watch
from app.logs import configure_logging, init_request_logging
from app.problems import ProblemApi, register_error_handlers
from app.services.keys import Keyring
from app.services.outbox import Relay
from app.sms import make_sms_backend
from app.web import register_web


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from HEALTHCODE_* settings, with optional overrides (tests pass a dict)."""
    settings = Settings.load(overrides=config)
    configure_logging(settings.log_level, settings.log_json)
    app = HealthcodeFlask("healthcode")
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Chinese texts as UTF-8
    app.config.update(
        SECRET_KEY=settings.secret_key,
        DEBUG=settings.debug,
        TESTING=settings.env == "testing",
        MAX_CONTENT_LENGTH=settings.max_content_length,
        JSON_SORT_KEYS=False,
        API_TITLE="Healthcode API",
        API_VERSION="1.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        RATELIMIT_STORAGE_URI=_limits_uri(settings.redis_url),
        RATELIMIT_STORAGE_OPTIONS={
            "socket_timeout": settings.redis_timeout,
            "socket_connect_timeout": settings.redis_timeout,
        },
        RATELIMIT_HEADERS_ENABLED=True,
        # Fail closed: with Redis down, rate-limited endpoints answer 503 (app.outages).
        RATELIMIT_SWALLOW_ERRORS=False,
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=False,
        RATELIMIT_KEY_PREFIX="healthcode-rl",
    )
    api = ProblemApi()
    redis = Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_timeout,
        socket_connect_timeout=settings.redis_timeout,
        health_check_interval=30,
    )
    db = Database(settings.database_url)
    live = LiveCache(
        redis,
        channel=stale_channel(redis, settings.queue_name),
        max_age=settings.live_cache_seconds,
    )
    watch(db.sessionmaker, live)
    c = Container(
        settings=settings,
        db=db,
        redis=redis,
        api=api,
        sms=make_sms_backend(settings, None if settings.production else redis),
        clock=utcnow,
        keyring=Keyring(settings.key_passphrase),
        relay=Relay(redis, settings.queue_name),
        live=live,
    )
    app.extensions["healthcode"] = c
    init_request_logging(app)
    metrics.init_app(app)
    api.init_app(
        app,
        spec_kwargs={
            "components": {
                "securitySchemes": {
                    "bearerAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "An access token (JWT) or an API key (hck_...).",
                    }
                }
            }
        },
    )
    register_error_handlers(app)
    outages.init_app(app)
    hardening.init_app(app, api)
    register_blueprints(api)
    register_web(app)
    init_limiter(app)  # after every view and blueprint is declared
    register_cli(app)
    app.teardown_appcontext(lambda _exc: close_request())

    return app


def _limits_uri(redis_url: str) -> str:
    """The `limits` library spells unix-socket Redis URLs as redis+unix://."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url.removeprefix("unix://")
    return redis_url
