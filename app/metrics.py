"""Prometheus metrics: event counters in each process, state read at scrape time.

Two kinds of series, for a service that runs as several gunicorn workers plus RQ workers:

* **Events** (request latency, codes issued, codes verified) happen in the API processes.
  They are prometheus-client counters and histograms. Under gunicorn, `gunicorn.conf.py`
  gives every instance its own `PROMETHEUS_MULTIPROC_DIR`, so all its workers write to
  files there and a scrape of any worker sums them (prometheus-client multiprocess mode).
* **State** (queue depth, oldest unsent outbox entry, recompute lag, batches by status,
  feed records accepted and applied) is read from PostgreSQL and Redis when scraped
  (`app.services.metrics.StateCollector`): right whichever process answers, and nothing
  to lose when a process exits.
"""

from __future__ import annotations

import functools
import time

from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.registry import REGISTRY, Collector

from app.config import prometheus_multiproc_dir
from codes import VerificationResult

REQUEST_LATENCY = Histogram(
    "healthcode_http_request_duration_seconds",
    "HTTP request latency by route template, method and status.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CODES_ISSUED = Counter(
    "healthcode_codes_issued_total", "Health codes signed, by colour.", ["color"]
)
CODES_VERIFIED = Counter(
    "healthcode_codes_verified_total",
    "Online verifications, by result (valid, or the reason it was refused).",
    ["result"],
)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def verified(result: VerificationResult) -> VerificationResult:
    """Count an online verification by its result, and pass it on."""
    _verified_counter("valid" if result.valid else str(result.reason)).inc()
    return result


@functools.cache
def _verified_counter(result: str) -> Counter:
    """The counter of one result (`labels()` takes a lock and builds its key per call)."""
    return CODES_VERIFIED.labels(result=result)


def issued(color: str) -> None:
    """Count a newly signed code."""
    CODES_ISSUED.labels(color=color).inc()


def exposition(state: Collector) -> Response:
    """The text exposition of this instance's events plus the state read now."""
    directory = prometheus_multiproc_dir()
    registry = CollectorRegistry()
    if directory:
        multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    state_registry = CollectorRegistry()
    state_registry.register(state)
    return Response(body + generate_latest(state_registry), content_type=CONTENT_TYPE)


def init_app(app: Flask) -> None:
    """Observe every request's latency under its route template (bounded label values).

    The start is the one the request log stamps (`g.started`, `app.logs.init_request_logging`),
    so a request is timed once for both.
    """

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.get("started")
        if started is not None:
            route = request.url_rule.rule if request.url_rule else "<unmatched>"
            REQUEST_LATENCY.labels(route, request.method, str(response.status_code)).observe(
                time.perf_counter() - started
            )
        return response
