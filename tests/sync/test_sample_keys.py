"""Caps on sample data keys: per sample, per key, and distinct per session and sensor type.

Every top-level key of `data` becomes a column of a wide export and of the analysis frame, so a
push may not bring an unbounded number of them. A sample beyond a cap is an invalid sample:
skipped, counted in `errors` and described in `error_details`; the rest of the batch is stored.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from app.extensions import db
from app.recordings.sample_keys import KeyLimits
from tests.payloads import BASE_TS, push_body
from tests.sync.helpers import push, stored_samples


def _sample(timestamp: int, data: dict, sensor_type: str = "accelerometer") -> dict:
    return {"sensor_type": sensor_type, "timestamp": timestamp, "data": data}


def _wide(count: int, start: int = 0, sensor_type: str = "accelerometer") -> list[dict]:
    """`count` samples, each bringing one key of its own (k0000, k0001, …)."""
    return [
        _sample(BASE_TS + 10 * (start + i), {f"k{start + i:04d}": 1.0}, sensor_type)
        for i in range(count)
    ]


def _balanced(body: dict) -> bool:
    parts = body["inserted"] + body["updated"] + body["duplicates"] + body["errors"]
    return parts == body["total_records"]


def _registered(app, session_id: str) -> dict[str, list[str]]:
    """The keys the registry holds for a session, per sensor type, in arrival order."""
    with app.app_context():
        rows = db.session.execute(
            text(
                "SELECT t.name, f.name FROM sample_fields AS f"
                " JOIN sensor_types AS t ON t.id = f.sensor_type_id"
                " JOIN recording_sessions AS s ON s.id = f.recording_session_id"
                " WHERE s.session_id = :s ORDER BY f.id"
            ),
            {"s": session_id},
        ).all()
    found: dict[str, list[str]] = {}
    for sensor_type, name in rows:
        found.setdefault(sensor_type, []).append(name)
    return found


@pytest.fixture
def small_cap(app, monkeypatch):
    """A per-(session, sensor type) cap of 8, so tests stay small."""
    monkeypatch.setitem(app.config, "MAX_SESSION_SENSOR_KEYS", 8)
    return 8


def test_a_sample_with_more_keys_than_allowed_is_skipped_and_the_rest_stored(client, auth_headers):
    data = [
        _sample(BASE_TS, {f"k{i}": i for i in range(64)}),
        _sample(BASE_TS + 10, {f"k{i}": i for i in range(65)}),
        _sample(BASE_TS + 20, {"x": 1.0}),
    ]
    body = push(client, auth_headers, push_body("s", data))
    assert (body["inserted"], body["errors"]) == (2, 1)
    assert body["error_details"] == [
        {"index": 1, "error": "data: at most 64 keys per sample, this one has 65"}
    ]
    assert _balanced(body)
    assert set(stored_samples(client, auth_headers, "s")) == {
        ("accelerometer", BASE_TS),
        ("accelerometer", BASE_TS + 20),
    }


def test_a_key_longer_than_allowed_is_skipped(client, auth_headers):
    data = [
        _sample(BASE_TS, {"a" * 64: 1.0}),
        _sample(BASE_TS + 10, {"x": 1.0, "b" * 65: 1.0}),
        _sample(BASE_TS + 20, {"한" * 64: 1.0}),  # characters, not bytes
    ]
    body = push(client, auth_headers, push_body("s", data))
    assert (body["inserted"], body["errors"]) == (2, 1)
    assert body["error_details"] == [
        {"index": 1, "error": "data: keys must be at most 64 characters long"}
    ]
    assert _balanced(body)


def test_keys_of_nested_objects_do_not_count(client, auth_headers):
    """Nested objects never become columns (exports write them as JSON text in one cell)."""
    nested = {"x": 1.0, "extra": {f"n{i}": i for i in range(1000)}, "deep": {"c" * 300: 1}}
    body = push(client, auth_headers, push_body("s", [_sample(BASE_TS, nested)]))
    assert (body["inserted"], body["errors"]) == (1, 0)
    assert stored_samples(client, auth_headers, "s")[("accelerometer", BASE_TS)] == nested


def test_the_caps_follow_the_configuration(app, client, auth_headers, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_SAMPLE_KEYS", 2)
    monkeypatch.setitem(app.config, "MAX_SAMPLE_KEY_LENGTH", 3)
    data = [
        _sample(BASE_TS, {"x": 1, "y": 2}),
        _sample(BASE_TS + 10, {"x": 1, "y": 2, "z": 3}),
        _sample(BASE_TS + 20, {"abcd": 1}),
    ]
    body = push(client, auth_headers, push_body("s", data))
    assert body["inserted"] == 1
    assert [e["index"] for e in body["error_details"]] == [1, 2]


def test_a_session_holds_at_most_the_cap_of_distinct_keys_per_sensor_type(
    app, client, auth_headers
):
    """At the default cap (256): 300 samples each bringing a new key keep the first 256."""
    body = push(client, auth_headers, push_body("s", _wide(300)))
    assert (body["inserted"], body["errors"], body["total_records"]) == (256, 44, 300)
    assert _balanced(body)
    assert [e["index"] for e in body["error_details"]] == list(range(256, 300))
    assert body["error_details"][0]["error"] == (
        'data: key "k0256" would take accelerometer past the 256 distinct data keys a session '
        "may hold per sensor type"
    )
    assert _registered(app, "s")["accelerometer"] == [f"k{i:04d}" for i in range(256)]
    stored = stored_samples(client, auth_headers, "s")
    assert len(stored) == 256 and {k for data in stored.values() for k in data} == {
        f"k{i:04d}" for i in range(256)
    }


def test_a_full_session_keeps_taking_samples_with_known_keys(app, client, auth_headers, small_cap):
    push(client, auth_headers, push_body("s", _wide(small_cap)))
    later = [
        _sample(BASE_TS + 100_000, {"k0000": 2.0, "k0007": 3.0}),  # known keys only: stored
        _sample(BASE_TS + 100_010, {"k0000": 2.0, "new": 3.0}),  # one new key: skipped whole
        _sample(BASE_TS + 100_020, {}),  # no keys at all: stored
        _sample(BASE_TS + 100_030, {"new": 1.0}, "gyroscope"),  # another type has its own room
        _sample(BASE_TS, {"k0000": 5.0}),  # an update of a stored sample with known keys
    ]
    body = push(client, auth_headers, push_body("s", later))
    assert (body["inserted"], body["updated"], body["errors"]) == (3, 1, 1)
    assert [e["index"] for e in body["error_details"]] == [1]
    assert '"new" would take accelerometer past the 8' in body["error_details"][0]["error"]
    assert _balanced(body)
    assert _registered(app, "s") == {
        "accelerometer": [f"k{i:04d}" for i in range(small_cap)],
        "gyroscope": ["new"],
    }


def test_samples_are_admitted_in_timestamp_order_whatever_the_batch_order(
    app, client, auth_headers, small_cap
):
    """The cap keeps the earliest samples of a sensor type: the outcome does not depend on the
    order the client put its batch in (samples are taken as de-duplicated, by timestamp)."""
    data = _wide(20)
    random.Random(3).shuffle(data)
    body = push(client, auth_headers, push_body("s", data))
    assert (body["inserted"], body["errors"]) == (small_cap, 20 - small_cap)
    refused = {data[e["index"]]["timestamp"] for e in body["error_details"]}
    assert refused == {BASE_TS + 10 * i for i in range(small_cap, 20)}
    assert sorted(stored_samples(client, auth_headers, "s")) == [
        ("accelerometer", BASE_TS + 10 * i) for i in range(small_cap)
    ]


def test_a_sample_that_does_not_fit_leaves_room_for_later_ones_that_do(
    app, client, auth_headers, small_cap
):
    first = [_sample(BASE_TS, {f"a{i}": 1 for i in range(small_cap - 2)})]
    push(client, auth_headers, push_body("s", first))
    data = [
        _sample(BASE_TS + 10, {"b1": 1, "b2": 2, "b3": 3}),  # three new keys: two places left
        _sample(BASE_TS + 20, {"c1": 1}),
        _sample(BASE_TS + 30, {"c1": 2, "a0": 1}),
        _sample(BASE_TS + 40, {"d1": 1}),
    ]
    body = push(client, auth_headers, push_body("s", data))
    assert (body["inserted"], body["errors"]) == (3, 1)
    assert [e["index"] for e in body["error_details"]] == [0]
    assert _registered(app, "s")["accelerometer"][-2:] == ["c1", "d1"]


def test_in_batch_duplicates_are_counted_before_the_cap(app, client, auth_headers, small_cap):
    """The same key twice in a batch: the earlier one is a duplicate, the last one is judged."""
    push(client, auth_headers, push_body("s", _wide(small_cap)))
    again = _sample(BASE_TS + 500, {"x": 1.0})
    body = push(client, auth_headers, push_body("s", [again, again | {"data": {"y": 1.0}}]))
    assert (body["duplicates"], body["errors"], body["inserted"]) == (1, 1, 0)
    assert body["error_details"][0]["index"] == 1
    assert _balanced(body)


def test_refused_samples_are_logged_like_other_invalid_samples(
    app, client, auth_headers, small_cap
):
    push(client, auth_headers, push_body("s", _wide(small_cap + 3)))
    status = client.get("/api/sync/status", headers=auth_headers).json
    (log,) = status["recent_syncs"]
    assert (log["status"], log["errors_count"], log["records_count"]) == ("partial", 3, 11)
    assert status["total_records"] == small_cap


def test_the_cap_holds_across_pushes_and_repeated_pushes_are_duplicates(
    app, client, auth_headers, small_cap
):
    first = push(client, auth_headers, push_body("s", _wide(5)))
    second = push(client, auth_headers, push_body("s", _wide(5, start=5)))
    assert (first["inserted"], second["inserted"], second["errors"]) == (5, 3, 2)
    again = push(client, auth_headers, push_body("s", _wide(10)))
    assert (again["duplicates"], again["errors"], again["inserted"]) == (8, 2, 0)
    assert len(_registered(app, "s")["accelerometer"]) == small_cap


def test_each_session_has_its_own_room(app, client, auth_headers, register, small_cap):
    push(client, auth_headers, push_body("one", _wide(small_cap)))
    other = push(client, auth_headers, push_body("two", _wide(small_cap, start=100)))
    stranger = register().headers
    theirs = push(client, stranger, push_body("one", _wide(small_cap, start=200)))
    assert other["inserted"] == theirs["inserted"] == small_cap


def test_deleting_a_session_forgets_its_keys(app, client, auth_headers, small_cap):
    push(client, auth_headers, push_body("s", _wide(small_cap)))
    assert client.delete("/api/sessions/s", headers=auth_headers).status_code in (200, 204)
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM sample_fields")) == 0
    body = push(client, auth_headers, push_body("s", _wide(small_cap, start=50)))
    assert body["inserted"] == small_cap


@pytest.mark.postgres
def test_concurrent_pushes_cannot_both_take_the_last_places(app, auth_headers, small_cap):
    """Each push reads the registry under the session lock: 8 racing pushes, each bringing new
    keys, store at most the cap between them."""
    push(app.test_client(), auth_headers, push_body("race", _wide(1)))

    def send(number: int):
        batch = _wide(3, start=100 + 10 * number)
        response = app.test_client().post(
            "/api/sync/push", json=push_body("race", data=batch), headers=auth_headers
        )
        return response.status_code, response.json

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(send, range(8)))
    assert [status for status, _ in results] == [200] * 8
    assert sum(body["inserted"] for _, body in results) == small_cap - 1
    assert sum(body["errors"] for _, body in results) == 24 - (small_cap - 1)
    assert len(_registered(app, "race")["accelerometer"]) == small_cap


def test_key_lengths_above_what_the_registry_indexes_are_not_configurable():
    limits = KeyLimits.from_config(
        {"MAX_SAMPLE_KEYS": 10, "MAX_SAMPLE_KEY_LENGTH": 10_000, "MAX_SESSION_SENSOR_KEYS": 20}
    )
    assert limits == KeyLimits(per_sample=10, length=255, per_sensor=20)


def test_the_openapi_document_states_the_caps(client):
    spec = client.get("/api/openapi.json").json
    samples = spec["components"]["schemas"]["PushRequest"]["properties"]["sensor_data"]
    for name in ("MAX_SAMPLE_KEYS", "MAX_SAMPLE_KEY_LENGTH", "MAX_SESSION_SENSOR_KEYS"):
        assert name in samples["description"]
    export = spec["paths"]["/api/sessions/{session_id}/export"]["get"]["description"]
    assert "MAX_SESSION_SENSOR_KEYS" in export and "X-Omitted-Fields" in export
