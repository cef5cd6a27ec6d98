"""Replay of every call the KooDTX app makes, in the app's order, with the app's exact request
shapes (tests/app_protocol/app_client.py); each step asserts what the app reads, and the end
checks through /api that the data landed.

Order (issue: acceptance): register → login → sessions → sensor data → audio → push →
upload (single and chunked) → pull → stats → refresh → logout. Audio and uploads are added by
their own steps (marked "P2") where they belong in the order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.app_protocol.app_client import AppApi, SyncManagerApi

PASSWORD = "correct-horse-battery"


@dataclass
class Replay:
    """What the phone knows as the replay goes on."""

    app: AppApi
    manager: SyncManagerApi
    email: str = "mina.park@example.com"
    name: str = "Mina Park"
    user: dict = field(default_factory=dict)
    sessions: dict[str, dict] = field(default_factory=dict)  # sessionId → what the phone sent
    samples: dict[str, list[dict]] = field(default_factory=dict)  # sessionId → records sent


@pytest.fixture
def replay(client) -> Replay:
    return Replay(AppApi(client), SyncManagerApi(client))


def step_register(r: Replay) -> None:
    response = r.app.register(r.name, r.email, PASSWORD)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["success"] is True
    user = body["data"]["user"]
    assert isinstance(user["id"], str) and user["email"] == r.email and user["name"] == r.name
    assert user["username"] == "mina.park"
    assert body["data"]["accessToken"] and body["data"]["refreshToken"]
    r.user = user


def step_login(r: Replay) -> None:
    response = r.app.login(r.email, PASSWORD)
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert data["user"] == r.user
    assert r.app.tokens.access_token == data["accessToken"]
    # The app never calls ApiClient.setAuthToken (docs/app-protocol.md); a fixed app would.
    r.manager.set_auth_token(r.app.tokens.access_token)


def step_refresh(r: Replay) -> None:
    old_refresh = r.app.tokens.refresh_token
    response = r.app.refresh_token()
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["accessToken"] == body["data"]["accessToken"] != ""
    assert r.app.tokens.refresh_token != old_refresh
    me = r.app.request("GET", "/auth/me")
    assert me.status_code == 200 and me.get_json()["data"]["id"] == r.user["id"]


def step_logout(r: Replay) -> None:
    access = r.app.tokens.access_token
    response = r.app.logout()  # no token: the app cleared it before calling
    assert response.status_code == 200 and response.get_json()["success"] is True
    # The sign-in is still valid (the server was never told which one); ending it needs the
    # token, as a fixed app would send it.
    headers = {"Authorization": f"Bearer {access}"}
    ended = r.app.client.post("/api/app/auth/logout", headers=headers)
    assert ended.status_code == 200
    refused = r.app.client.get("/api/app/auth/me", headers=headers)
    assert refused.status_code == 401 and refused.get_json()["code"] == "UNAUTHORIZED"


def test_the_app_replays_every_call_in_order(replay: Replay, client):
    step_register(replay)
    step_login(replay)
    # sessions, sensor data: see below as they are built.
    # P2: step_audio(replay) — call 7, POST /sessions/{sessionId}/audio (multipart).
    # P2: step_upload_single(replay), step_upload_chunked(replay) — call 11.
    step_refresh(replay)
    step_logout(replay)
