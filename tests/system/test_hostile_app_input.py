"""Hostile input against the app protocol (/api/app) of the running server: every malformed
request gets a 4xx in the app's error shape (or, for a bad record inside a valid batch, a 200
that skips and reports it), never a 5xx, and nothing hostile is stored."""

from __future__ import annotations

import gzip

import pytest

from tests.system.api_client import Api

JSON = {"Content-Type": "application/json"}
START = 1_763_000_000_000
WRONG_VALUES = [None, True, 0, -1, 1.5, "text", "", [], [1], {}, {"a": 1}, 2**63 - 1, 1e308]
SESSION = {
    "sessionId": "hostile-app",
    "startTime": START,
    "endTime": None,
    "enabledSensors": ["accelerometer"],
    "sampleRate": 100,
    "notes": "n",
    "isActive": True,
}
RECORD = {"timestamp": START, "sensorType": "accelerometer", "x": 1.0, "y": 2.0, "z": 3.0}


def _app_rejected(reply, *statuses: int) -> dict:
    """A 4xx (one of `statuses` when given) in the app's error shape."""
    assert 400 <= reply.status < 500, (reply.status, reply.body[:300])
    if statuses:
        assert reply.status in statuses, (reply.status, reply.body[:300])
    assert reply.is_json, reply.headers
    body = reply.json()
    assert body["success"] is False and isinstance(body["code"], str), body
    assert isinstance(body["message"], str) and body["message"], body
    return body


def _answered(reply, *statuses: int) -> None:
    assert reply.status in statuses, (reply.status, reply.body[:300])
    assert reply.is_json
    if reply.status >= 400:
        _app_rejected(reply)


@pytest.fixture(scope="module")
def phone(system) -> Api:
    user = system.api().register("hostileapp")
    assert user.post("/api/app/sessions", SESSION).status == 201
    return user


def test_empty_and_non_object_bodies(phone):
    for path in (
        "/api/app/sessions",
        "/api/app/sessions/hostile-app/sensor-data",
        "/api/app/sync/push",
        "/api/app/auth/register",
        "/api/app/auth/login",
        "/api/app/auth/refresh",
    ):
        _app_rejected(phone.request("POST", path, raw=b"", headers=JSON), 400)
        for raw in (b"[]", b"1", b'"x"', b"null", b"{", b"\xff\xfe", b"{" * 5000):
            _app_rejected(phone.request("POST", path, raw=raw, headers=JSON), 400)
        _app_rejected(phone.request("POST", path, raw=b"{}", headers={"Content-Type": "text/xml"}))
    assert phone.request("POST", "/api/app/sync/pull", raw=b"", headers=JSON).status == 200


def test_wrong_types_in_every_session_field(phone):
    for field in SESSION:
        for value in WRONG_VALUES:
            _answered(phone.post("/api/app/sessions", SESSION | {field: value}), 200, 201, 400)
    for field in ("endTime", "metadata", "notes", "isActive"):
        for value in WRONG_VALUES:
            reply = phone.request("PATCH", "/api/app/sessions/hostile-app", {field: value})
            _answered(reply, 200, 400)


def test_wrong_types_in_every_record_field_are_skipped(phone):
    for field in ("timestamp", "sensorType"):
        for value in WRONG_VALUES:
            if value == "text":
                continue  # a valid sensor type
            reply = phone.post(
                "/api/app/sessions/hostile-app/sensor-data", {"data": [RECORD | {field: value}]}
            )
            _answered(reply, 200)
            assert reply.json()["data"]["errors"] == 1, (field, value, reply.body[:300])
    for value in WRONG_VALUES:
        if not isinstance(value, list):
            _app_rejected(
                phone.post("/api/app/sessions/hostile-app/sensor-data", {"data": value}), 400
            )
        reply = phone.post("/api/app/sessions/hostile-app/sensor-data", {"data": [value]})
        _answered(reply, 200)


def test_nan_infinity_and_deep_nesting_in_records(phone):
    for number in (b"NaN", b"Infinity", b"-Infinity", b"1e400", b"123456789012345678901234567890"):
        raw = b'{"data": [{"timestamp": %d, "sensorType": "gyroscope", "x": %s}]}' % (START, number)
        reply = phone.request(
            "POST", "/api/app/sessions/hostile-app/sensor-data", raw=raw, headers=JSON
        )
        _answered(reply, 200, 400)
    deep = b'{"data": [{"timestamp": %d, "sensorType": "gyroscope", "x": %s1%s}]}' % (
        START,
        b"[" * 300,
        b"]" * 300,
    )
    reply = phone.request(
        "POST", "/api/app/sessions/hostile-app/sensor-data", raw=deep, headers=JSON
    )
    _answered(reply, 200, 400)


def test_huge_strings_ids_and_bodies(phone):
    huge = "a" * (10 * 1024 * 1024)
    _app_rejected(phone.post("/api/app/sessions", SESSION | {"notes": huge}), 400)
    _app_rejected(phone.post("/api/app/sessions", SESSION | {"sessionId": huge}), 400)
    _app_rejected(phone.post("/api/app/auth/login", {"email": huge, "password": huge}), 400, 401)
    _app_rejected(phone.post("/api/app/auth/refresh", {"refreshToken": huge}), 400)
    _app_rejected(
        phone.post(f"/api/app/sessions/{'x' * 5000}/sensor-data", {"data": [RECORD]}), 404, 414
    )
    _app_rejected(phone.post("/api/app/sessions", SESSION | {"metadata": {"k": "v" * 20000}}), 400)
    too_big = {"data": [RECORD] * 60_000}
    _app_rejected(phone.post("/api/app/sessions/hostile-app/sensor-data", too_big), 413)
    bomb = gzip.compress(b'{"data": [' + b" " * (64 * 1024 * 1024) + b"]}")
    headers = JSON | {"Content-Encoding": "gzip"}
    reply = phone.request(
        "POST", "/api/app/sessions/hostile-app/sensor-data", raw=bomb, headers=headers
    )
    _app_rejected(reply, 413)


def test_sql_and_odd_path_segments_are_data_or_not_found(phone):
    for segment in ("x%27%20OR%20%271%27%3D%271", "..%2F..%2Fetc%2Fpasswd", "%00", "%F0%9F%92%A9"):
        _app_rejected(phone.get(f"/api/app/sessions/{segment}"), 404)
        _app_rejected(phone.request("DELETE", f"/api/app/sessions/{segment}"), 404)
    for query in ("page=0", "page=1e3", f"page={10**30}", "limit=101", "sortBy=x", "sortOrder=up"):
        _app_rejected(phone.get(f"/api/app/sessions?{query}"), 400)


def test_push_items_of_every_shape_fail_alone(phone):
    shapes = [
        None,
        1,
        "x",
        [],
        {},
        {"type": "session"},
        {"type": "nope", "localId": "a"},
        {"type": "session", "localId": "a" * 300},
        {"type": "sensor_data", "localId": "l", "data": {"records": 5}},
        {"type": "metadata", "localId": "missing", "data": {"notes": 5}},
    ]
    reply = phone.post("/api/app/sync/push", {"items": shapes})
    _answered(reply, 200)
    data = reply.json()["data"]
    assert data["synced"] == 0 and data["failed"] == len(shapes)
    _app_rejected(phone.post("/api/app/sync/push", {"items": [{}] * 101}), 400)
    for value in WRONG_VALUES:
        _answered(phone.post("/api/app/sync/pull", {"lastSyncTimestamp": value}), 200, 400)
        _answered(phone.post("/api/app/sync/pull", {"types": value}), 200, 400)
        _answered(phone.post("/api/app/sync/pull", {"limit": value}), 200, 400)


def test_tokens_that_are_not_tokens(system):
    for token in ("", "x", "a.b.c", "Bearer", "e30.e30.", "." * 5000):
        api = Api(system.base_url, token)
        reply = api.get("/api/app/auth/me")
        _app_rejected(reply, 401, 422)
        _app_rejected(api.post("/api/app/auth/refresh", {"refreshToken": token or "x"}), 400, 401)
        _answered(api.post("/api/app/auth/logout"), 200, 401)
