"""gunicorn settings: `gunicorn -c gunicorn_config.py run:app`. Every value can be overridden
from the environment or `.env` (GUNICORN_*), so the same file serves a laptop and a server."""

import gc
import multiprocessing
import os

from flask import Config as FlaskConfig

import config as app_config  # loads .env first, so GUNICORN_* may be set there too
from app.web.protection import check_limit_storage, limits_counted_per_process


def _env(name: str, default):
    """GUNICORN_<name>, empty meaning unset (read by config.py, like every setting)."""
    return type(default)(app_config.env(f"GUNICORN_{name}") or default)


def _app_settings() -> FlaskConfig:
    settings = FlaskConfig(app_config.BASE_DIR)
    settings.from_object(app_config.config_for())
    return settings


# Only this machine can connect unless the operator chooses an address (0.0.0.0:5000 for all).
bind = _env("BIND", "127.0.0.1:5000")
# Rate limits kept in process memory (no Redis, as on the embedded default) are counted once per
# worker process, so they get one process with threads; with Redis, processes per core.
_PER_PROCESS_LIMITS = limits_counted_per_process(_app_settings())
workers = _env("WORKERS", 1 if _PER_PROCESS_LIMITS else multiprocessing.cpu_count() * 2 + 1)
threads = _env("THREADS", 4 if _PER_PROCESS_LIMITS else 1)
# JSON error pages and a client read timeout (app/web/serving.py; GUNICORN_CLIENT_TIMEOUT).
worker_class = "app.web.serving.SyncWorker" if threads == 1 else "app.web.serving.ThreadWorker"
timeout = _env("TIMEOUT", 120)  # a 50,000-sample push or a large streamed pull may take a while
graceful_timeout = _env("GRACEFUL_TIMEOUT", 30)
keepalive = _env("KEEPALIVE", 5)
max_requests = _env("MAX_REQUESTS", 2000)  # recycle workers to bound memory drift
max_requests_jitter = _env("MAX_REQUESTS_JITTER", 200)
preload_app = True
limit_request_line = 8190
limit_request_fields = 100
accesslog = _env("ACCESSLOG", "-")
errorlog = "-"
loglevel = _env("LOGLEVEL", "info")
# gunicorn's control socket defaults to one path per home directory, so a second server on the
# machine (tests, benchmarks, a dev server) would take it over: each may name its own.
if app_config.env("GUNICORN_CONTROL_SOCKET"):
    control_socket = app_config.env("GUNICORN_CONTROL_SOCKET")


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
    if app_config.env("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def _check_limit_storage(server, workers: int) -> None:
    """Warn that `workers` processes would each count the rate limits on their own, or raise
    RuntimeError in production (app.web.protection.check_limit_storage)."""
    flask_app = server.app.wsgi()  # preloaded already: the app's own, final configuration
    warning = check_limit_storage(flask_app.config, workers)
    if warning:
        server.log.warning(warning)


def nworkers_changed(server, new_value, old_value):
    """More workers later (TTIN, a reload) must pass the same check; refused ones are undone."""
    if old_value is None:
        return  # the first count: on_starting checks it once the app is loaded
    try:
        _check_limit_storage(server, new_value)
    except RuntimeError as error:
        server.log.error("%s; staying at %s workers", error, old_value)
        server.num_workers = old_value


def on_starting(server):
    """Refuse to start (before binding) if rate limits would be counted per worker in
    production; then prepare the multiprocess metrics directory."""
    try:
        _check_limit_storage(server, server.num_workers)
    except RuntimeError as error:
        server.log.error(str(error))
        if server.pidfile is not None:
            server.pidfile.unlink()
        raise SystemExit(1) from None
    # Multiprocess metrics: start from an empty directory (stale files would be summed).
    directory = app_config.env("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))
