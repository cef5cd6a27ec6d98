"""Pooled connections are tested before use only after sitting idle (app/database.py)."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from app import database
from app.extensions import db

pytestmark = pytest.mark.postgres


@pytest.fixture
def one_connection_engine(app) -> Iterator[Engine]:
    """An engine configured like the app's, whose pool holds a single connection, so the
    connection checked out again is the one that was checked in."""
    with app.app_context():
        engine = create_engine(db.engine.url, pool_size=1, max_overflow=0)
    database.configure_engine(engine)
    yield engine
    engine.dispose()


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(engine: Engine, pid: int) -> None:
    """End that backend from outside the pool, as a database restart would."""
    outside = create_engine(engine.url, poolclass=NullPool)
    try:
        with outside.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        outside.dispose()


def test_a_connection_that_died_while_idle_is_replaced_before_use(
    one_connection_engine, monkeypatch
):
    pid = _backend_pid(one_connection_engine)
    _terminate(one_connection_engine, pid)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)  # it sat idle long enough

    assert _backend_pid(one_connection_engine) != pid  # the ping found it dead: no error


def test_a_live_connection_used_moments_ago_is_kept(one_connection_engine, monkeypatch):
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 3600.0)
    pid = _backend_pid(one_connection_engine)
    assert _backend_pid(one_connection_engine) == pid


def test_a_connection_the_server_closed_moments_ago_is_replaced_without_a_ping(
    one_connection_engine, monkeypatch
):
    """A database restart terminates every backend: each says so and closes its socket, which
    the check before use sees without a round trip."""
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 3600.0)
    pid = _backend_pid(one_connection_engine)
    _terminate(one_connection_engine, pid)

    assert _backend_pid(one_connection_engine) != pid  # no error: replaced before use
