"""Gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`."""

import multiprocessing
import os
import shutil
import tempfile

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 20
keepalive = 5
# Workers are replaced after this many requests (a guard against slow leaks). A replacement
# costs a second of CPU for the new worker's start-up and empties its live cache: at 1,000
# requests/s per worker that is every few minutes, not every 10 seconds.
max_requests = 200_000
max_requests_jitter = 20_000
limit_request_line = 8190
limit_request_fields = 100
accesslog = None  # the app writes its own structured access log
errorlog = "-"
preload_app = False
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# gunicorn 25+ opens a control socket at one fixed path per user ($XDG_RUNTIME_DIR or
# ~/.gunicorn/gunicorn.ctl): two instances on one host would fight over it. Off unless
# GUNICORN_CONTROL_SOCKET names a path of this instance's own.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

# Prometheus multiprocess mode: every worker of this instance writes its metrics to files
# in one directory of this instance (a fresh one per start unless set), summed at scrape.
_own_prometheus_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_prometheus_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="healthcode-metrics-")
_prometheus_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]


def on_starting(server):
    """Start from an empty metrics directory (old workers' files would count twice)."""
    for name in os.listdir(_prometheus_dir):
        if name.endswith(".db"):
            os.unlink(os.path.join(_prometheus_dir, name))


def child_exit(server, worker):
    """Keep a dead worker's counters, drop its live gauges."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, _prometheus_dir)


def on_exit(server):
    """Remove the metrics directory this instance made for itself."""
    if _own_prometheus_dir:
        shutil.rmtree(_prometheus_dir, ignore_errors=True)
