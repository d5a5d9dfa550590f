"""A dependency that is down answers 503 problem+json with Retry-After, never a 500.

The body names the dependency (`database` or `redis`) and nothing else: no host, port or
driver message reaches the client (they are logged, with the request id).
"""

from __future__ import annotations

import logging

from flask import Flask, Response
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.problems import problem

log = logging.getLogger("healthcode.outage")
RETRY_AFTER = 5
DATABASE = "database"
REDIS = "redis"


def unavailable(dependency: str) -> Response:
    """503 naming the dependency that failed."""
    return problem(
        503,
        "Service unavailable",
        f"A dependency ({dependency}) is not available; try again shortly.",
        slug="unavailable",
        headers={"Retry-After": str(RETRY_AFTER)},
        dependency=dependency,
    )


def is_database_outage(error: BaseException) -> bool:
    """True for errors that mean the database cannot be reached (not a bad query)."""
    if isinstance(error, OperationalError | PoolTimeout):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def init_app(app: Flask) -> None:
    """Register the 503 handlers for database and Redis outages."""

    @app.errorhandler(RedisConnectionError)
    @app.errorhandler(RedisTimeoutError)
    def _redis_down(error: Exception) -> Response:
        log.warning("redis unavailable: %s", error, extra={"error_type": type(error).__name__})
        return unavailable(REDIS)

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def _database_error(error: Exception) -> Response:
        if not is_database_outage(error):  # a genuine bug, as the generic handler answers
            log.error("unhandled error", exc_info=error, extra={"error_type": type(error).__name__})
            return problem(500, "Internal server error", "An unexpected error occurred.")
        log.warning("database unavailable: %s", error, extra={"error_type": type(error).__name__})
        return unavailable(DATABASE)
