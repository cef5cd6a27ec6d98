"""The whole running system on private servers: PostgreSQL, Redis, gunicorn (with
gunicorn_config.py and its default worker count), a Celery worker and Celery Beat.

Used by tests/system (one stack per test session) and by bench/load.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import psycopg2

from app.worker import task_names
from config import normalise_database_url
from tests.server import ROOT, gunicorn
from tests.system.api_client import Api
from tests.system.services import PrivatePostgres, PrivateRedis
from tests.tasks.processes import CeleryProcess, wait_for, worker_args

FLASK = str(Path(sys.executable).with_name("flask"))
SECRET = "system-test-secret-key-with-more-than-32-characters"
JWT_SECRET = "system-test-jwt-secret-key-with-more-than-32-chars"
GENEROUS = "100000 per minute"
# Beat runs the analysis sweep every few seconds instead of every 10 minutes.
SWEEP_EVERY_SECONDS = 2.0
CLIENT_TIMEOUT_SECONDS = 3  # app/web/serving.py: stalled client sockets are dropped after this


class SystemStack:
    """Start with `start()`, stop everything with `close()` (also after a failure)."""

    def __init__(
        self,
        base: Path | None = None,
        *,
        beat: bool = True,
        worker: bool = True,
        extra_env: dict[str, str] | None = None,
    ):
        self.own_base = base is None  # a directory of our own is removed by close()
        self.base = base or Path(tempfile.mkdtemp(prefix="koodtx-system-"))
        self.postgres = PrivatePostgres()
        self.redis = PrivateRedis(self.base / "redis")
        self.want_beat = beat
        self.want_worker = worker
        self.extra_env = extra_env or {}
        self._exit = ExitStack()
        self.worker: CeleryProcess | None = None
        self.beat: CeleryProcess | None = None
        self.base_url = ""
        self.database_url = ""

    # --- configuration shared by every process

    def settings(self) -> dict:
        """App settings for Celery processes (tests/tasks/worker_app.py builds the app)."""
        return {
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(self.database_url),
            "REDIS_URL": self.redis.url(0),
            "CELERY_BROKER_URL": self.redis.url(0),
            "CELERY_RESULT_BACKEND": self.redis.url(0),
            "RATELIMIT_STORAGE_URI": self.redis.url(1),
            "UPLOAD_FOLDER": str(self.base / "uploads"),
            "SECRET_KEY": SECRET,
            "JWT_SECRET_KEY": JWT_SECRET,
            "ANALYSIS_DELAY_SECONDS": 1,
            "ANALYSIS_SWEEP_GRACE_SECONDS": 3,
            "LOG_LEVEL": "WARNING",
            "CELERY_OVERRIDES": {
                "worker_lost_wait": 0.5,
                "beat_schedule": {
                    "sweep-unanalysed-sessions": {
                        "task": task_names.SWEEP_UNANALYSED_SESSIONS,
                        "schedule": SWEEP_EVERY_SECONDS,
                    }
                },
            },
        }

    def environment(self) -> dict[str, str]:
        """The production way to configure the web server: environment variables."""
        return {
            "APP_ENV": "production",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis.url(0),
            "CELERY_BROKER_URL": self.redis.url(0),
            "CELERY_RESULT_BACKEND": self.redis.url(0),
            "RATELIMIT_ENABLED": "true",
            # Short timeouts: without them a hung Redis costs every request 5 s (see
            # docs/RELIABILITY.md; the default in config.py should carry them too).
            "RATELIMIT_STORAGE_URI": self.redis.url(1),
            "LOGIN_RATE_LIMIT": GENEROUS,
            "LOGIN_FAILURE_RATE_LIMIT": GENEROUS,
            "LOGIN_ADDRESS_FAILURE_RATE_LIMIT": GENEROUS,
            "LOGIN_USERNAME_FAILURE_RATE_LIMIT": GENEROUS,
            "REGISTER_RATE_LIMIT": GENEROUS,
            "REGISTER_CONFLICT_RATE_LIMIT": GENEROUS,
            "REFRESH_RATE_LIMIT": GENEROUS,
            "PUSH_RATE_LIMIT": GENEROUS,
            "PULL_RATE_LIMIT": GENEROUS,
            "ANALYSIS_RATE_LIMIT": GENEROUS,
            "UPLOAD_RATE_LIMIT": GENEROUS,
            "EXPORT_RATE_LIMIT": GENEROUS,
            "SERIES_RATE_LIMIT": GENEROUS,
            "DATA_RATE_LIMIT": GENEROUS,
            "UPLOAD_FOLDER": str(self.base / "uploads"),
            "SECRET_KEY": SECRET,
            "JWT_SECRET_KEY": JWT_SECRET,
            "ANALYSIS_DELAY_SECONDS": "1",
            "LOG_LEVEL": "WARNING",
            "GUNICORN_ACCESSLOG": str(self.base / "access.log"),
            "GUNICORN_CLIENT_TIMEOUT": str(CLIENT_TIMEOUT_SECONDS),
            "PYTHONPATH": str(ROOT),
        } | self.extra_env

    # --- life cycle

    def start(self, gunicorn_workers: int | None = None) -> SystemStack:
        try:
            self._exit.callback(self.postgres.cleanup)
            self.postgres.init()
            self.postgres.start()
            self.database_url = self.postgres.create_database("koodtx")
            self._exit.callback(self.redis.cleanup)
            self.redis.start()
            subprocess.run(
                [FLASK, "--app", "run", "init-db"],
                cwd=ROOT,
                env=self._env(),
                check=True,
                capture_output=True,
            )
            self.base_url = self._exit.enter_context(
                gunicorn(
                    workers=gunicorn_workers,
                    log=self.base / "gunicorn.log",
                    **self.environment(),
                )
            )
            if self.want_worker:
                self.start_worker()
            if self.want_beat:
                self.start_beat()
        except BaseException:
            self.close()
            raise
        return self

    def _env(self) -> dict[str, str]:
        return os.environ | self.environment()

    def start_worker(
        self, *, env: dict | None = None, overrides: dict | None = None, name: str = "worker"
    ) -> CeleryProcess:
        settings = self.settings()
        for key, value in (overrides or {}).items():
            if key == "CELERY_OVERRIDES":
                settings[key] = settings[key] | value
            else:
                settings[key] = value
        log = self.base / f"{name}-{time.monotonic_ns()}.log"
        process = CeleryProcess(worker_args(name), settings, log, env)
        process.wait_for_output("ready.", timeout=60)
        if name == "worker":
            self.worker = process
        return process

    def stop_worker(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None

    def start_beat(self) -> None:
        args = [
            "beat",
            "--loglevel=INFO",
            f"--schedule={self.base / 'beat-schedule'}",
            "--max-interval=1",
        ]
        self.beat = CeleryProcess(args, self.settings(), self.base / "beat.log")

    def close(self) -> None:
        for process in (self.worker, self.beat):
            if process is not None:
                try:
                    process.stop()
                except Exception:
                    pass
        self.worker = self.beat = None
        self._exit.close()
        if self.own_base:
            shutil.rmtree(self.base, ignore_errors=True)

    # --- helpers for tests

    def api(self, token: str | None = None) -> Api:
        return Api(self.base_url, token)

    def db(self, autocommit: bool = True):
        """A plain psycopg2 connection to the application database."""
        connection = psycopg2.connect(self.database_url, connect_timeout=5)
        connection.autocommit = autocommit
        return connection

    def query(self, sql: str, params: tuple | dict = ()) -> list[tuple]:
        connection = self.db()
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def wait_healthy(self, timeout: float = 60) -> dict:
        def healthy():
            try:
                reply = self.api().get("/health", timeout=5)
            except OSError:
                return None
            body = reply.json() if reply.is_json else {}
            return body if reply.status == 200 and body.get("status") == "healthy" else None

        return wait_for(healthy, timeout, "the service to report healthy")

    def logs(self) -> str:
        parts = []
        for name in ("gunicorn.log",):
            path = self.base / name
            if path.exists():
                parts.append(f"--- {name} ---\n" + path.read_text(errors="replace")[-5000:])
        return "\n".join(parts)


def dump(value) -> str:
    return json.dumps(value, indent=1, default=str)[:2000]
