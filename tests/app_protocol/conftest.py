"""A phone signed in through the app protocol; task objects run in the test app."""

from __future__ import annotations

import itertools

import pytest

from tests.app_protocol.app_client import AppApi, SyncManagerApi

_phones = itertools.count(1)


class Phone:
    """Both of the app's HTTP stacks, signed in as one user (SyncManager's token set by hand,
    as a fixed app would)."""

    def __init__(self, client) -> None:
        n = next(_phones)
        self.api = AppApi(client)
        response = self.api.register(f"Phone {n}", f"phone{n}@example.com", "password-123")
        assert response.status_code == 201, response.get_json()
        self.user = response.get_json()["data"]["user"]
        self.manager = SyncManagerApi(client)
        self.manager.set_auth_token(self.api.tokens.access_token)
        self.headers = {"Authorization": f"Bearer {self.api.tokens.access_token}"}


@pytest.fixture
def phone(client) -> Phone:
    return Phone(client)


@pytest.fixture
def other_phone(client) -> Phone:
    return Phone(client)


@pytest.fixture(autouse=True)
def _test_app_celery(celery_app):
    """Task objects called here (the imports uploads queue) must run in the test app."""
    return celery_app
