"""gunicorn settings: `gunicorn -c gunicorn_config.py run:app`. Every value can be overridden
from the environment (GUNICORN_*), so the same file serves a laptop and a server."""

import gc
import multiprocessing
import os


def _env(name: str, default):
    return type(default)(os.environ.get(f"GUNICORN_{name}", default))


bind = _env("BIND", "0.0.0.0:5000")
workers = _env("WORKERS", multiprocessing.cpu_count() * 2 + 1)
threads = _env("THREADS", 1)
# JSON error pages and a client read timeout (app/serving.py; GUNICORN_CLIENT_TIMEOUT).
worker_class = "app.serving.SyncWorker" if threads == 1 else "gthread"
timeout = _env("TIMEOUT", 120)  # a 50,000-sample push or a large streamed pull may take a while
graceful_timeout = _env("GRACEFUL_TIMEOUT", 30)
keepalive = _env("KEEPALIVE", 5)
max_requests = _env("MAX_REQUESTS", 2000)  # recycle workers to bound memory drift
max_requests_jitter = _env("MAX_REQUESTS_JITTER", 200)
preload_app = True
limit_request_line = 8190
limit_request_fields = 100
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# gunicorn's control socket defaults to one path per home directory, so a second server on the
# machine (tests, benchmarks, a dev server) would take it over: each may name its own.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]


def pre_fork(server, worker):
    """Move the preloaded app's objects out of the garbage collector's sight: a 5,000-sample
    push allocates enough to trigger full collections, which would rescan them every time
    (measured: half of a push's CPU time before this)."""
    gc.freeze()


def post_fork(server, worker):
    """Connections must not be shared across forked workers (preload_app opens the pool)."""
    from app.extensions import db

    gc.set_threshold(50_000, 20, 100)  # fewer collections during large batches
    with server.app.wsgi().app_context():
        db.engine.dispose(close=False)


def child_exit(server, worker):
    """Multiprocess metrics: drop the live gauges of a worker that is gone."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_starting(server):
    """Multiprocess metrics: start from an empty directory (stale files would be summed)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))
