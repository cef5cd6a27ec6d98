"""The sample_fields migration registers the keys of samples stored before it (both dialects)."""

from __future__ import annotations

from sqlalchemy import text

from app.extensions import db
from tests.legacy import stored_before_the_caps
from tests.payloads import BASE_TS, push_body, samples
from tests.sync.helpers import push


def _registry(app, session_pk: int) -> list[tuple[str, str]]:
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(
                text(
                    "SELECT t.name, f.name FROM sample_fields AS f"
                    " JOIN sensor_types AS t ON t.id = f.sensor_type_id"
                    " WHERE f.recording_session_id = :s ORDER BY f.id"
                ),
                {"s": session_pk},
            )
        ]


def _old(timestamp: int, data: dict, sensor_type: str = "accelerometer") -> dict:
    return {"sensor_type": sensor_type, "timestamp": timestamp, "data": data}


def test_the_upgrade_registers_stored_keys_most_used_first(app, client, auth_headers):
    push(client, auth_headers, push_body("old", samples(3)))  # x, y, z three times
    pk = stored_before_the_caps(
        app,
        "old",
        [
            _old(BASE_TS - 200, {"once_late": 1}),  # used once, but earliest
            _old(BASE_TS + 100, {"x": 1, "twice": 1}),
            _old(BASE_TS + 110, {"twice": "text", "nested": {"inner": 1}}),
            _old(BASE_TS + 120, {"k" * 255: 1, "k" * 256: 1}),  # the longer key cannot be indexed
            _old(BASE_TS, {"latitude": 1.0}, "gps"),
        ],
    )
    assert _registry(app, pk) == [
        ("accelerometer", "x"),  # 4 uses
        ("accelerometer", "y"),  # 3 uses
        ("accelerometer", "z"),
        ("accelerometer", "twice"),
        ("accelerometer", "once_late"),  # 1 use each: the earliest first
        ("gps", "latitude"),
        ("accelerometer", "nested"),
        ("accelerometer", "k" * 255),
    ]


def test_pushes_after_the_upgrade_count_the_registered_keys(app, client, auth_headers, monkeypatch):
    push(client, auth_headers, push_body("old", samples(1)))
    stored_before_the_caps(app, "old", [_old(BASE_TS + 10 * i, {f"w{i}": 1}) for i in range(1, 6)])
    monkeypatch.setitem(app.config, "MAX_SESSION_SENSOR_KEYS", 4)  # the session holds 8 already
    known = _old(BASE_TS + 1000, {"x": 1.0, "w3": 2.0})
    new = _old(BASE_TS + 1010, {"x": 1.0, "fresh": 2.0})
    body = push(client, auth_headers, push_body("old", [known, new]))
    assert (body["inserted"], body["errors"]) == (1, 1)
    assert body["error_details"][0]["index"] == 1


def test_the_upgrade_of_a_database_without_samples_registers_nothing(app, client, auth_headers):
    push(client, auth_headers, push_body("empty", []))
    pk = stored_before_the_caps(app, "empty", [])
    assert _registry(app, pk) == []
