"""Pooled connections are tested before use only after sitting idle (app/database.py)."""

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from app import database
from app.extensions import db

pytestmark = pytest.mark.postgres


def _backend_pid() -> int:
    return db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(pid: int) -> None:
    """End that backend from outside the pool, as a database restart would."""
    outside = create_engine(db.engine.url, poolclass=NullPool)
    try:
        with outside.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        outside.dispose()


def test_a_connection_that_died_while_idle_is_replaced_before_use(app, monkeypatch):
    with app.app_context():
        pid = _backend_pid()
        db.session.rollback()  # back to the pool
        _terminate(pid)
        monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)  # it sat idle long

        assert _backend_pid() != pid  # no error: the ping found it dead, the pool reconnected
        db.session.rollback()


def test_a_connection_used_moments_ago_is_not_pinged(app, monkeypatch):
    with app.app_context():
        monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 3600.0)
        pid = _backend_pid()
        db.session.rollback()
        _terminate(pid)
        # Not tested before use: the dead connection fails the statement (a request would
        # answer 503) and the pool is renewed, so the next one works. The price of not
        # pinging at every checkout.
        with pytest.raises(OperationalError):
            _backend_pid()
        db.session.rollback()
        assert _backend_pid() != pid
        db.session.rollback()
