"""Fixtures of the auth tests."""

import pytest

from app.extensions import limiter


@pytest.fixture
def limited_client(app, client):
    """The test client with rate limiting switched on, counters fresh (in-process storage)."""
    limiter.enabled = True
    limiter.reset()
    yield client
    limiter.enabled = False
