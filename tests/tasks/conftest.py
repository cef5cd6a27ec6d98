"""Fixtures that start real Celery processes with the test settings."""

from __future__ import annotations

import pytest

from tests.tasks.processes import CeleryProcess, worker_args


@pytest.fixture(autouse=True)
def _test_app_celery(celery_app):
    """Task objects called here must run in the test app (see `celery_app`)."""
    return celery_app


@pytest.fixture
def start_celery(process_settings, celery_app, tmp_path):
    """`start_celery(args, overrides=None, env=None)` → a running process, stopped afterwards.

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
