"""Whole-request rejections store nothing (docs/sync.md#whole-request-failures) and always
answer JSON."""

import gzip
import resource
import zlib

import orjson
import pytest

from app.extensions import db
from app.models import RecordingSession, SensorData, SyncLog
from tests.payloads import push_body, samples


def _nothing_stored(app) -> bool:
    with app.app_context():
        return all(
            db.session.scalar(db.select(db.func.count()).select_from(model)) == 0
            for model in (RecordingSession, SensorData, SyncLog)
        )


MALFORMED = [
    (b"", "application/json", 400),
    (b"not json", "application/json", 400),
    (b"\xff\xfe\xfa", "application/json", 400),
    (b"[1, 2, 3]", "application/json", 400),
    (b'"just a string"', "application/json", 400),
    (b"{}", "application/json", 400),
    (b'{"sensor_data": []}', "application/json", 400),
    (b'{"session": "s1", "sensor_data": []}', "application/json", 400),
    (b'{"session": {"session_id": ""}, "sensor_data": []}', "application/json", 400),
    (b'{"session": {"session_id": "a b"}, "sensor_data": []}', "application/json", 400),
    (b'{"session": {"session_id": 12}, "sensor_data": []}', "application/json", 400),
    (b'{"session": {"session_id": "s", "start_time": "yesterday"}}', "application/json", 400),
    (b'{"session": {"session_id": "s", "start_time": 1699876543}}', "application/json", 400),
    (
        b'{"session": {"session_id": "s", "start_time": "2025-11-13T00:00:00Z",'
        b' "sample_rate": -5}}',
        "application/json",
        400,
    ),
    (
        b'{"session": {"session_id": "s", "start_time": "2025-11-13T00:00:00Z",'
        b' "sample_rate": "100"}}',
        "application/json",
        400,
    ),
    (
        b'{"session": {"session_id": "s", "start_time": "2025-11-13T00:00:00Z",'
        b' "is_active": "yes"}}',
        "application/json",
        400,
    ),
    (
        b'{"session": {"session_id": "s", "start_time": "2025-11-13T00:00:00Z",'
        b' "enabled_sensors": "gps"}}',
        "application/json",
        400,
    ),
    (
        b'{"session": {"session_id": "s", "start_time": "2025-11-13T00:00:00Z"},'
        b' "sensor_data": {"a": 1}}',
        "application/json",
        400,
    ),
    (b"[" * 10_000 + b"]" * 10_000, "application/json", 400),
    (orjson.dumps(push_body(data=samples(3))), "text/plain", 415),
    (orjson.dumps(push_body(data=samples(3))), "application/x-www-form-urlencoded", 415),
]


@pytest.mark.parametrize("raw, content_type, status", MALFORMED)
def test_malformed_request_is_rejected_and_stores_nothing(
    client, auth_headers, app, raw, content_type, status
):
    response = client.post(
        "/api/sync/push", data=raw, headers=auth_headers, content_type=content_type
    )
    assert response.status_code == status
    assert response.is_json and isinstance(response.json["error"], str)
    assert _nothing_stored(app)


def _post_encoded(client, headers, raw: bytes, encoding: str):
    """POST a push body sent with `Content-Encoding: encoding`."""
    return client.post(
        "/api/sync/push",
        data=raw,
        content_type="application/json",
        headers={**headers, "Content-Encoding": encoding},
    )


def test_too_many_samples_is_413_and_stores_nothing(client, auth_headers, app):
    app.config["MAX_SAMPLES_PER_PUSH"] = 10
    try:
        response = client.post(
            "/api/sync/push", json=push_body(data=samples(11)), headers=auth_headers
        )
    finally:
        app.config["MAX_SAMPLES_PER_PUSH"] = 50_000
    assert response.status_code == 413
    assert "10" in response.json["error"]
    assert _nothing_stored(app)


def test_body_over_max_content_length_is_413(client, auth_headers, app):
    app.config["MAX_CONTENT_LENGTH"] = 2_000
    try:
        response = client.post(
            "/api/sync/push", json=push_body(data=samples(100)), headers=auth_headers
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 32 * 1024 * 1024
    assert response.status_code == 413
    assert response.is_json
    assert _nothing_stored(app)


def test_gzip_body_is_accepted(client, auth_headers):
    raw = gzip.compress(orjson.dumps(push_body(data=samples(500))))
    response = _post_encoded(client, auth_headers, raw, "gzip")
    assert response.status_code == 200
    assert response.json["inserted"] == 500


def test_deflate_body_is_accepted(client, auth_headers):
    raw = zlib.compress(orjson.dumps(push_body(data=samples(5))))
    response = _post_encoded(client, auth_headers, raw, "deflate")
    assert response.status_code == 200 and response.json["inserted"] == 5


def test_gzip_bomb_is_413_without_inflating_it(client, auth_headers, app):
    bomb = gzip.compress(b" " * (200 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 300 * 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    response = _post_encoded(client, auth_headers, bomb, "gzip")
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert response.status_code == 413
    assert response.is_json
    assert grown_kib < 100 * 1024  # far below the 200 MiB it would inflate to
    assert _nothing_stored(app)


@pytest.mark.parametrize(
    "raw",
    [b"definitely not gzip", gzip.compress(b'{"session": {}}')[:-12]],
    ids=["garbage", "truncated"],
)
def test_broken_gzip_is_400(client, auth_headers, raw):
    response = _post_encoded(client, auth_headers, raw, "gzip")
    assert response.status_code == 400 and response.is_json


def test_unknown_content_encoding_is_415(client, auth_headers):
    response = client.post(
        "/api/sync/push",
        data=b"{}",
        content_type="application/json",
        headers={**auth_headers, "Content-Encoding": "br"},
    )
    assert response.status_code == 415 and response.is_json
