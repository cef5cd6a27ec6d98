"""Shared fixtures: an app on the configured database, a clean database per test, auth helpers.

The backend is chosen by the environment, so the same suite runs twice in CI:
`TEST_DATABASE_URL=postgresql://…` (+ `TEST_REDIS_URL`) or, when unset, a SQLite file — the
embedded default.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text

from app import create_app
from app.extensions import db, limiter
from config import normalise_database_url
from tests.tasks.processes import CeleryProcess, worker_args

# One scratch directory per test run, the same even if this module is imported twice (as
# `conftest` by pytest and as `tests.conftest` by test modules and worker processes).
_TMP = Path(os.environ.setdefault("KOODTX_TEST_TMP", tempfile.mkdtemp(prefix="koodtx-tests-")))
DATABASE_URL = normalise_database_url(
    os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL") or None
IS_POSTGRES = DATABASE_URL.startswith("postgresql")

# tests/system starts real processes on private servers and takes minutes: `make test-system`.
collect_ignore = [] if os.environ.get("SYSTEM_TESTS") == "1" else ["system"]


def settings_for_tests() -> dict:
    """Config overrides for the app under test (also used by tests that start processes)."""
    return {
        "SQLALCHEMY_DATABASE_URI": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": os.environ.get("TEST_BROKER_URL")
        or (REDIS_URL or f"sqla+sqlite:///{_TMP / 'broker.db'}"),
        "CELERY_RESULT_BACKEND": REDIS_URL or f"db+sqlite:///{_TMP / 'results.db'}",
        "UPLOAD_FOLDER": str(_TMP / "uploads"),
        "AUDIO_FOLDER": str(_TMP / "audio"),
        "SECRET_KEY": "test-secret-key-with-at-least-32-characters",
        "JWT_SECRET_KEY": "test-jwt-secret-key-with-at-least-32-chars",
        # Initialised (so it can be switched on), but off in every test that does not ask for
        # it: see `clean_state` and tests/core/test_protection.py.
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
    }


settings_for_tests.__test__ = False  # a helper, not a test, even when imported into a test module


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (TEST_DATABASE_URL)")
    skip_redis = pytest.mark.skip(reason="needs Redis (TEST_REDIS_URL)")
    for item in items:
        if "postgres" in item.keywords and not IS_POSTGRES:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not REDIS_URL:
            item.add_marker(skip_redis)


def _recreate_postgres_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
            {"d": target.database},
        )
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}"'))
        connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def app():
    if IS_POSTGRES:
        _recreate_postgres_database(DATABASE_URL)
    application = create_app("testing", settings_for_tests())
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


def _truncate_all() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(autouse=True)
def clean_state(app):
    limiter.enabled = False
    config = dict(app.config)  # a test may change settings of the shared app: undone below
    yield
    app.config.clear()
    app.config.update(config)
    with app.app_context():
        db.session.remove()
        _truncate_all()
    shutil.rmtree(app.config["AUDIO_FOLDER"], ignore_errors=True)  # the rows are gone too
    if REDIS_URL:
        redis.Redis.from_url(REDIS_URL).flushdb()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def limited_client(app, client):
    """The test client with rate limiting switched on, counters fresh (in-process storage)."""
    limiter.enabled = True
    limiter.reset()
    yield client
    limiter.enabled = False


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_user_numbers = itertools.count(1)


@dataclass(frozen=True)
class Registered:
    """A user the `register` fixture created."""

    user: dict[str, Any]  # the user as the API shows it
    headers: dict[str, str]  # the bearer header of its access token
    tokens: dict[str, Any]  # the whole response: access_token, refresh_token, user


@pytest.fixture
def register(client):
    """Register a user; returns a `Registered`."""

    def _register(username: str | None = None, password: str = "correct-horse-1", **extra):
        username = username or f"user{next(_user_numbers)}"
        response = client.post(
            "/api/auth/register",
            json={"username": username, "email": f"{username}@example.com", "password": password}
            | extra,
        )
        assert response.status_code == 201, response.json
        body = response.json
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        return Registered(body["user"], headers, body)

    return _register


@pytest.fixture
def auth_headers(register):
    return register().headers


# --- Background work: settings for worker/beat processes started by tests. ---


@pytest.fixture(scope="session")
def process_settings() -> dict:
    """The app's test settings, for worker and beat subprocesses (same database and broker)."""
    return settings_for_tests()


def use_celery_of(app):
    """Make `app`'s Celery the current one: task objects resolve through the current app, and
    creating another Flask app (as some tests do) makes that one's Celery current."""
    celery = app.extensions["celery"]
    celery.set_current()
    celery.set_default()
    return celery


@pytest.fixture(autouse=True)
def celery_app(app):
    """The one Celery app of the tests: the test app's, current in every test."""
    return use_celery_of(app)


@pytest.fixture
def start_celery(process_settings, celery_app, tmp_path):
    """`start_celery(args, overrides=None, env=None, name="w")` → a real worker or beat process
    (tests/tasks/worker_app.py) on the test settings, stopped after the test.

    Messages left in the broker by earlier tests are purged first.
    """
    celery_app.control.purge()
    started: list[CeleryProcess] = []

    def _start(args=None, overrides: dict | None = None, env: dict | None = None, name="w"):
        settings = process_settings | (overrides or {})
        log = tmp_path / f"{name}-{len(started)}.log"
        process = CeleryProcess(args or worker_args(name), settings, log, env)
        started.append(process)
        return process

    yield _start
    for process in started:
        process.stop()
