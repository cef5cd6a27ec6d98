"""Fixtures for the direct tests of the sync rules: service functions called in an app
context, without HTTP, on whichever backend the run uses (SQLite or PostgreSQL)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest

# App modules (they move in the restructure; only this block names them).
from app.extensions import db
from app.models import User

_user_numbers = itertools.count(1)


@pytest.fixture
def ctx(app, monkeypatch) -> Iterator[None]:
    """An app context for calling service functions. Analyses are not enqueued: these tests
    are about what a push stores, and publishing would only add a broker round trip."""
    monkeypatch.setitem(app.config, "ANALYSIS_ON_CLOSE", False)
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def make_user(ctx) -> Callable[[], int]:
    """Create a user row directly (no registration endpoint) and return its id."""

    def _make() -> int:
        number = next(_user_numbers)
        user = User(username=f"unit{number}", email=f"unit{number}@example.com", password_hash="-")
        db.session.add(user)
        db.session.commit()
        return user.id

    return _make


@pytest.fixture
def user_id(make_user) -> int:
    return make_user()
