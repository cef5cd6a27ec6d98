"""Properties: what the app uploads is what /api pulls, and what /api pushes is what the app
pulls — times in milliseconds, fields renamed, nothing lost or altered."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.app_protocol.app_client import AppApi, SyncManagerApi

pytestmark = pytest.mark.slow

BASE_MS = 1_764_000_000_000
SENSORS = ("accelerometer", "gyroscope", "gps", "magnetometer")
_numbers = itertools.count()

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
motion = st.fixed_dictionaries({"x": finite, "y": finite, "z": finite})
gps = st.fixed_dictionaries(
    {"latitude": st.floats(-90, 90), "longitude": st.floats(-180, 180)},
    optional={
        "altitude": finite,
        "accuracy": st.floats(0, 100),
        "speed": st.floats(0, 80),
        "heading": st.floats(0, 360),
    },
)


@st.composite
def recordings(draw):
    """A session as SyncManager uploads it and records of it (some repeated, as a retried
    batch would repeat them)."""
    start = BASE_MS + draw(st.integers(0, 10**9))
    end = draw(st.none() | st.integers(start, start + 10**7))
    sensors = draw(st.lists(st.sampled_from(SENSORS), min_size=1, max_size=4, unique=True))
    session = {
        "sessionId": str(uuid.uuid4()),
        "startTime": start,
        "endTime": end,
        "enabledSensors": sensors,
        "sampleRate": draw(st.none() | st.floats(1, 1000)),
        # No lone surrogates: the test client's JSON encoder cannot write them as UTF-8.
        "notes": draw(
            st.none()
            | st.text(
                st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
                max_size=40,
            )
        ),
        "isActive": end is None,
    }
    records = []
    for offset in draw(st.lists(st.integers(0, 10**6), max_size=40)):
        sensor = draw(st.sampled_from(sensors))
        values = draw(gps if sensor == "gps" else motion)
        records.append({"timestamp": start + offset, "sensorType": sensor} | values)
    return session, records


def _iso_ms(ms: int | None) -> str | None:
    if ms is None:
        return None
    text = datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="microseconds")
    return text.replace("+00:00", "Z")


def _ms(iso: str | None) -> int | None:
    if iso is None:
        return None
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return round(moment.timestamp() * 1000)


def _signed_in(client) -> tuple[AppApi, SyncManagerApi, dict]:
    app = AppApi(client)
    n = next(_numbers)
    response = app.register(f"Tester {n}", f"prop{n}@example.com", "password-123")
    assert response.status_code == 201
    manager = SyncManagerApi(client)
    manager.set_auth_token(app.tokens.access_token)
    return app, manager, {"Authorization": f"Bearer {app.tokens.access_token}"}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(recording=recordings())
def test_what_the_app_uploads_is_what_api_pulls(client, recording):
    session, records = recording
    _, manager, headers = _signed_in(client)
    assert manager.upload_session(session).status_code == 201
    for i in range(0, len(records), 100):
        assert (
            manager.upload_sensor_data(session["sessionId"], records[i : i + 100]).status_code
            == 200
        )

    pulled = client.post(
        "/api/sync/pull", json={"session_ids": [session["sessionId"]]}, headers=headers
    )
    assert pulled.status_code == 200
    (got,) = pulled.get_json()["sessions"]
    assert _ms(got["start_time"]) == session["startTime"]
    assert _ms(got["end_time"]) == session["endTime"]
    assert got["enabled_sensors"] == session["enabledSensors"]
    assert got["sample_rate"] == session["sampleRate"] and got["notes"] == session["notes"]
    assert got["is_active"] == session["isActive"]
    expected = {}
    for record in records:  # the last record of a (sensor, timestamp) wins
        data = {k: v for k, v in record.items() if k not in ("timestamp", "sensorType")}
        expected[(record["sensorType"], record["timestamp"])] = data
    stored = {(s["sensor_type"], s["timestamp"]): s["data"] for s in got["sensor_data"]}
    assert stored == expected


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(recording=recordings())
def test_what_api_pushes_is_what_the_app_pulls(client, recording):
    session, _ = recording
    app, _, headers = _signed_in(client)
    before = app.sync_pull(0).get_json()["data"]["nextTimestamp"]
    body = {
        "session_id": session["sessionId"],
        "start_time": _iso_ms(session["startTime"]),
        "end_time": _iso_ms(session["endTime"]),
        "enabled_sensors": session["enabledSensors"],
        "sample_rate": session["sampleRate"],
        "notes": session["notes"],
    }
    assert client.post("/api/sync/push", json={"session": body}, headers=headers).status_code == 200

    data = app.sync_pull(before, ["session"]).get_json()["data"]
    (item,) = [item for item in data["items"] if item["id"] == session["sessionId"]]
    got = item["data"]
    assert item["type"] == "session" and got["id"] == session["sessionId"]
    assert got["startTime"] == session["startTime"] and got["endTime"] == session["endTime"]
    assert got["sensorTypes"] == session["enabledSensors"] and got["notes"] == session["notes"]
    assert got["sampleRate"] == session["sampleRate"] and got["isActive"] == session["isActive"]
    assert item["updatedAt"] >= before
