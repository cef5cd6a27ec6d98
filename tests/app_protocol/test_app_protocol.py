"""Replay of every call the KooDTX app makes, in the app's order, with the app's exact request
shapes (tests/app_protocol/app_client.py); each step asserts what the app reads, and the end
checks through /api that the data landed.

Order (issue: acceptance): register → login → sessions → sensor data → audio → push →
upload (single and chunked) → pull → stats → refresh → logout. Audio and uploads are added by
their own steps (tests/app_protocol/replay_uploads.py) where they belong in the order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.app_protocol.app_client import AppApi, SyncManagerApi, sync_item
from tests.app_protocol.replay_uploads import (
    check_uploads_through_api,
    step_audio,
    step_upload_chunked,
    step_upload_single,
)

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
    deleted: str = ""
    samples: dict[str, list[dict]] = field(default_factory=dict)  # sessionId → records sent
    audio: dict[str, bytes] = field(default_factory=dict)  # recording id → bytes sent


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


START = 1_764_480_000_000  # 2025-11-30T05:20:00Z
WALK = "3b1f6c7e-9d2a-4e8b-a1c5-7f0e2d4b6a90"
TABLE = "a9e2b7c4-1f3d-4c6a-8b0e-5d7f9a1c3e21"


def step_sessions(r: Replay) -> None:
    """SyncManager uploads a finished walk; sessions.ts creates, lists, reads, updates."""
    walk = {
        "sessionId": WALK,
        "startTime": START,
        "endTime": START + 60_000,
        "enabledSensors": ["accelerometer", "gps"],
        "sampleRate": 50,
        "notes": "Walk to the station",
        "isActive": False,
    }
    response = r.manager.upload_session(walk)
    assert response.status_code == 201, response.get_json()
    session = response.get_json()["data"]
    assert session["id"] == WALK and session["startTime"] == START
    assert session["endTime"] == START + 60_000 and session["duration"] == 60_000
    assert session["sensorTypes"] == ["accelerometer", "gps"] and session["userId"] == r.user["id"]
    r.sessions[WALK] = walk
    again = r.manager.upload_session(walk)  # the queue retries a task whose answer was lost
    assert again.status_code == 200 and again.get_json()["data"]["startTime"] == START

    created = r.app.create_session("pixel-8", ["accelerometer"], True, {"placement": "table"})
    assert created.status_code == 201, created.get_json()
    table = created.get_json()["data"]
    assert table["deviceId"] == "pixel-8" and table["hasAudio"] is True
    assert table["metadata"] == {"placement": "table"} and table["endTime"] is None
    assert isinstance(table["startTime"], int) and isinstance(table["createdAt"], str)

    page = r.app.get_sessions(page=1, limit=1, sort_by="startTime", sort_order="asc")
    assert page.status_code == 200
    body = page.get_json()
    assert body["items"][0]["id"] == WALK and body["total"] == 2 and body["totalPages"] == 2
    assert body["hasNext"] is True and body["hasPrev"] is False and body["data"]["limit"] == 1

    assert r.app.get_session(WALK).get_json()["data"]["notes"] == "Walk to the station"
    ended = r.app.update_session(
        table["id"], endTime=table["startTime"] + 5_000, metadata={"placement": "desk"}
    )
    assert ended.status_code == 200, ended.get_json()
    assert ended.get_json()["data"]["duration"] == 5_000
    assert ended.get_json()["data"]["isActive"] is False

    deleted = r.app.delete_session(table["id"])
    assert deleted.status_code == 200 and deleted.get_json()["data"]["deleted"] is True
    assert r.app.get_session(table["id"]).status_code == 404
    r.deleted = table["id"]


def _accelerometer(i: int) -> dict:
    return {
        "timestamp": START + 20 * i,
        "sensorType": "accelerometer",
        "x": 0.01 * i,
        "y": -0.5,
        "z": 9.81,
    }


def _gps(i: int) -> dict:
    return {
        "timestamp": START + 1000 * i,
        "sensorType": "gps",
        "latitude": 37.5665 + i * 1e-5,
        "longitude": 126.978,
        "altitude": 38.5,
        "accuracy": 4.0,
        "speed": 1.3,
        "heading": 90.0,
    }


def step_sensor_data(r: Replay) -> None:
    """SyncManager's batches of 100; a session whose samples come before the session."""
    records = [_accelerometer(i) for i in range(250)] + [_gps(i) for i in range(30)]
    for i in range(0, len(records), 100):
        response = r.manager.upload_sensor_data(WALK, records[i : i + 100])
        assert response.status_code == 200, response.get_json()
        data = response.get_json()["data"]
        assert data["inserted"] == len(records[i : i + 100]) and data["errors"] == 0
    replayed = r.manager.upload_sensor_data(WALK, records[:100]).get_json()["data"]
    assert replayed["inserted"] == 0 and replayed["duplicates"] == 100
    r.samples[WALK] = records

    early = r.manager.upload_sensor_data(
        "late-session-1", [_accelerometer(i) for i in range(5, 10)]
    )
    assert early.status_code == 200 and early.get_json()["data"]["provisional"] is True
    late = r.manager.upload_session(
        {
            "sessionId": "late-session-1",
            "startTime": START,
            "endTime": None,
            "enabledSensors": ["accelerometer"],
            "sampleRate": 50,
            "notes": None,
            "isActive": True,
        }
    )
    assert late.status_code == 200 and late.get_json()["data"]["provisional"] is False
    assert late.get_json()["data"]["dataCount"] == 5


PUSHED = "5c8d2e1f-7a3b-4c9d-8e6f-1a2b3c4d5e6f"


def step_push(r: Replay) -> None:
    """SyncService pushes queued items one per request ({items: [item]}), and a whole batch
    once, which is then replayed."""
    at = START + 120_000
    session = {
        "sessionId": PUSHED,
        "startTime": at,
        "endTime": at + 10_000,
        "enabledSensors": ["gyroscope"],
        "sampleRate": 100,
        "notes": "Pushed by SyncService",
        "isActive": False,
    }
    records = [
        {"timestamp": at + 10 * i, "sensorType": "gyroscope", "x": 0.1 * i, "y": 0.0, "z": -0.1}
        for i in range(20)
    ]
    items = [
        sync_item("q-1", "session", PUSHED, session, at),
        sync_item(
            "q-2",
            "metadata",
            PUSHED,
            {"sessionId": PUSHED, "notes": "Stairs", "metadata": {"floor": 3}},
            at,
        ),
        sync_item("q-3", "sensor_data", PUSHED, {"sessionId": PUSHED, "records": records}, at),
        sync_item("q-4", "audio", "rec-1", {"file": {"uri": "file:///a.m4a"}}, at),
    ]
    single = r.app.sync_push([items[0]])
    assert single.status_code == 200, single.get_json()
    assert single.get_json()["data"]["results"][0] == {
        "localId": PUSHED,
        "serverId": PUSHED,
        "status": "completed",
        "error": None,
    }

    batch = r.app.sync_push(items, batch_id="batch-7")
    assert batch.status_code == 200, batch.get_json()
    data = batch.get_json()["data"]
    assert data["batchId"] == "batch-7" and data["synced"] == 3 and data["failed"] == 1
    assert [result["status"] for result in data["results"]] == ["completed"] * 3 + ["failed"]
    assert "audio" in data["results"][3]["error"]
    replayed = r.app.sync_push(items, batch_id="batch-7").get_json()["data"]
    assert replayed["synced"] == 3
    r.sessions[PUSHED] = session | {"notes": "Stairs"}
    r.samples[PUSHED] = records


def step_pull(r: Replay) -> None:
    """SyncService's pull from 0, then from nextTimestamp: only what changed, deletions too."""
    response = r.app.sync_pull(0, ["session", "metadata"])
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    by_id = {item["id"]: item for item in data["items"]}
    assert set(by_id) == {WALK, PUSHED, "late-session-1", r.deleted}
    assert by_id[r.deleted]["data"]["deleted"] is True
    assert by_id[PUSHED]["type"] == "session" and by_id[PUSHED]["data"]["metadata"] == {"floor": 3}
    assert by_id[WALK]["data"]["startTime"] == START and isinstance(by_id[WALK]["updatedAt"], int)
    assert data["hasMore"] is False and isinstance(data["nextTimestamp"], int)

    edited = r.app.update_session(WALK, metadata={"weather": "rain"})
    assert edited.status_code == 200
    delta = r.app.sync_pull(data["nextTimestamp"], ["session", "metadata"]).get_json()["data"]
    assert [item["id"] for item in delta["items"] if not item["data"].get("deleted")] == [WALK]


def step_stats(r: Replay) -> None:
    response = r.app.get_sync_stats()
    assert response.status_code == 200
    stats = response.get_json()["data"]
    assert stats["totalPushed"] >= 280 + 20 and stats["totalPulled"] >= 4
    assert stats["lastSyncTimestamp"] > START and stats["pendingItems"] == 0


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
    step_sessions(replay)
    step_sensor_data(replay)
    step_audio(replay, WALK, START + 45_000)
    step_push(replay)
    step_upload_single(replay, WALK, PUSHED, START + 130_000)
    step_upload_chunked(replay, WALK)
    step_pull(replay)
    step_stats(replay)
    step_refresh(replay)
    step_logout(replay)
    headers = check_through_api(replay, client)
    check_uploads_through_api(replay, client, headers, WALK, PUSHED)


def check_through_api(r: Replay, client) -> dict:
    """What the app sent is what /api and the dashboard's user see."""
    login = client.post(
        "/api/auth/login", json={"username": r.user["username"], "password": PASSWORD}
    )
    assert login.status_code == 200
    headers = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
    walk = client.get(f"/api/sessions/{WALK}", headers=headers).get_json()
    assert (
        walk["start_time"] == "2025-11-30T05:20:00Z" and walk["end_time"] == "2025-11-30T05:21:00Z"
    )
    assert walk["notes"] == "Walk to the station" and walk["is_active"] is False
    counts = {s["sensor_type"]: s["count"] for s in walk["sensors"]}
    assert counts == {"accelerometer": 250, "gps": 30}
    data = client.get(
        f"/api/sessions/{WALK}/data?sensor_type=gps&limit=1", headers=headers
    ).get_json()
    first = data["samples"][0]
    assert first["timestamp"] == START
    assert first["data"] == {
        k: v for k, v in _gps(0).items() if k not in ("timestamp", "sensorType")
    }
    return headers
