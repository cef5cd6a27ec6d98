"""Push rules (docs/sync.md#push): counts, last write wins, partial acceptance, session fields."""

import pytest

from app.extensions import db
from app.models import RecordingSession, SensorData, SyncLog
from tests.payloads import BASE_TS, push_body, samples
from tests.sync.helpers import pull, push, stored_samples


def _counts(body):
    return {k: body[k] for k in ("total_records", "inserted", "updated", "duplicates", "errors")}


def test_first_push_inserts_every_sample(client, auth_headers):
    body = push(client, auth_headers, push_body(data=samples(100)))
    assert _counts(body) == dict(total_records=100, inserted=100, updated=0, duplicates=0, errors=0)
    assert body["message"] == "Sync completed successfully"
    assert body["session_id"] == "session-1"
    assert body["session_data_count"] == 100
    assert body["error_details"] == []
    assert isinstance(body["sync_log_id"], int)


def test_repush_counts_everything_as_duplicate(client, auth_headers):
    payload = push_body(data=samples(50))
    push(client, auth_headers, payload)
    body = push(client, auth_headers, payload)
    assert _counts(body) == dict(total_records=50, inserted=0, updated=0, duplicates=50, errors=0)
    assert body["session_data_count"] == 50


def test_changed_data_is_updated_and_pull_returns_the_new_data(client, auth_headers):
    push(client, auth_headers, push_body(data=samples(10)))
    changed = samples(10)
    for sample in changed[:3]:
        sample["data"] = {"x": 1.5, "y": -2.0, "z": 3.25}
    body = push(client, auth_headers, push_body(data=changed))
    assert _counts(body) == dict(total_records=10, inserted=0, updated=3, duplicates=7, errors=0)
    stored = stored_samples(client, auth_headers, "session-1")
    assert stored[("accelerometer", BASE_TS)] == {"x": 1.5, "y": -2.0, "z": 3.25}
    assert stored[("accelerometer", BASE_TS + 90)] == changed[9]["data"]
    assert body["session_data_count"] == 10


def test_key_order_in_data_does_not_make_an_update(client, auth_headers):
    first = [
        {"sensor_type": "gps", "timestamp": BASE_TS, "data": {"latitude": 1.0, "longitude": 2.0}}
    ]
    second = [
        {"sensor_type": "gps", "timestamp": BASE_TS, "data": {"longitude": 2.0, "latitude": 1.0}}
    ]
    push(client, auth_headers, push_body(data=first))
    assert push(client, auth_headers, push_body(data=second))["duplicates"] == 1


def test_same_key_twice_in_one_batch_last_wins_and_earlier_are_duplicates(client, auth_headers):
    batch = samples(3)
    batch.append({**batch[0], "data": {"x": 7.0, "y": 7.0, "z": 7.0}})
    batch.append({**batch[0], "data": {"x": 8.0, "y": 8.0, "z": 8.0}})
    body = push(client, auth_headers, push_body(data=batch))
    assert _counts(body) == dict(total_records=5, inserted=3, updated=0, duplicates=2, errors=0)
    stored = stored_samples(client, auth_headers, "session-1")
    assert stored[("accelerometer", BASE_TS)] == {"x": 8.0, "y": 8.0, "z": 8.0}


def test_same_timestamp_on_different_sensors_are_different_samples(client, auth_headers):
    batch = samples(5, "accelerometer") + samples(5, "gyroscope")
    assert push(client, auth_headers, push_body(data=batch))["inserted"] == 10


INVALID_SAMPLES = [
    ("not an object", ""),
    ({"timestamp": BASE_TS, "data": {}}, "sensor_type"),
    ({"sensor_type": "Accel", "timestamp": BASE_TS, "data": {}}, "sensor_type"),
    ({"sensor_type": "a" * 51, "timestamp": BASE_TS, "data": {}}, "sensor_type"),
    ({"sensor_type": "acc-el", "timestamp": BASE_TS, "data": {}}, "sensor_type"),
    ({"sensor_type": "가속도", "timestamp": BASE_TS, "data": {}}, "sensor_type"),
    ({"sensor_type": 5, "timestamp": BASE_TS, "data": {}}, "sensor_type"),
    ({"sensor_type": "accelerometer", "data": {}}, "timestamp"),
    ({"sensor_type": "accelerometer", "timestamp": "1699876543210", "data": {}}, "timestamp"),
    ({"sensor_type": "accelerometer", "timestamp": 1699876543210.5, "data": {}}, "timestamp"),
    ({"sensor_type": "accelerometer", "timestamp": True, "data": {}}, "timestamp"),
    ({"sensor_type": "accelerometer", "timestamp": 946684799999, "data": {}}, "timestamp"),
    ({"sensor_type": "accelerometer", "timestamp": 4102444800000, "data": {}}, "timestamp"),
    ({"sensor_type": "accelerometer", "timestamp": BASE_TS, "data": [1, 2]}, "data"),
    ({"sensor_type": "accelerometer", "timestamp": BASE_TS, "data": "x"}, "data"),
    ({"sensor_type": "accelerometer", "timestamp": BASE_TS}, "data"),
]


@pytest.mark.parametrize("bad, field", INVALID_SAMPLES)
def test_invalid_sample_is_skipped_and_described(client, auth_headers, bad, field):
    batch = samples(2)
    batch.insert(1, bad)
    body = push(client, auth_headers, push_body(data=batch))
    assert _counts(body) == dict(total_records=3, inserted=2, updated=0, duplicates=0, errors=1)
    (detail,) = body["error_details"]
    assert detail["index"] == 1
    assert detail["error"].startswith(field)
    assert body["message"] != "Sync completed successfully"


def test_mixed_valid_and_invalid_samples_store_the_valid_ones(client, auth_headers, app):
    batch = samples(6)
    batch[1]["timestamp"] = "soon"
    batch[4]["data"] = None
    body = push(client, auth_headers, push_body(data=batch))
    assert _counts(body) == dict(total_records=6, inserted=4, updated=0, duplicates=0, errors=2)
    assert [d["index"] for d in body["error_details"]] == [1, 4]
    stored = stored_samples(client, auth_headers, "session-1")
    assert set(stored) == {("accelerometer", batch[i]["timestamp"]) for i in (0, 2, 3, 5)}
    with app.app_context():
        log = db.session.get(SyncLog, body["sync_log_id"])
        assert log.status == "partial"
        assert log.errors_count == 2 and log.records_count == 6


def test_non_finite_numbers_are_a_per_sample_error(client, auth_headers):
    raw = (
        '{"session": {"session_id": "nan-1", "start_time": "2025-11-13T00:00:00Z"},'
        ' "sensor_data": ['
        '{"sensor_type": "light", "timestamp": 1699876543210, "data": {"lux": NaN}},'
        '{"sensor_type": "light", "timestamp": 1699876543211, "data": {"lux": 1.0}},'
        '{"sensor_type": "light", "timestamp": 1699876543212, "data": {"v": [Infinity]}},'
        '{"sensor_type": "light", "timestamp": 1699876543213, "data": {"v": 1e999}},'
        '{"sensor_type": "light", "timestamp": 1699876543214,'
        ' "data": {"v": 1' + "0" * 400 + "}}"  # an integer beyond the double range
        "]}"
    )
    response = client.post(
        "/api/sync/push", data=raw, headers=auth_headers, content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json
    assert _counts(body) == dict(total_records=5, inserted=1, updated=0, duplicates=0, errors=4)
    assert [d["index"] for d in body["error_details"]] == [0, 2, 3, 4]


def test_error_details_are_capped_at_100(client, auth_headers):
    batch = [{"sensor_type": "BAD", "timestamp": BASE_TS + i, "data": {}} for i in range(150)]
    body = push(client, auth_headers, push_body(data=batch))
    assert body["errors"] == 150
    assert len(body["error_details"]) == 100


def test_counts_always_add_up_to_total(client, auth_headers):
    push(client, auth_headers, push_body(data=samples(20)))
    batch = samples(30)
    batch[0]["data"] = {"x": 99.0}
    batch[25]["sensor_type"] = "???"
    batch.append(dict(batch[10]))
    body = push(client, auth_headers, push_body(data=batch))
    parts = body["inserted"] + body["updated"] + body["duplicates"] + body["errors"]
    assert parts == body["total_records"] == 31
    assert (body["inserted"], body["updated"], body["errors"]) == (9, 1, 1)


def test_session_is_created_with_defaults_and_updated_last_write_wins(client, auth_headers):
    push(
        client,
        auth_headers,
        push_body("s-lww", enabled_sensors=["gps"], sample_rate=50, notes="first"),
    )
    (created,) = pull(client, auth_headers, include_data=False)["sessions"]
    assert created["is_active"] is True and created["end_time"] is None
    assert created["is_uploaded"] is False
    assert created["notes"] == "first" and created["sample_rate"] == 50
    body = {"session": {"session_id": "s-lww", "notes": "second"}, "sensor_data": []}
    push(client, auth_headers, body)
    (updated,) = pull(client, auth_headers, include_data=False)["sessions"]
    assert updated["notes"] == "second"
    assert updated["enabled_sensors"] == ["gps"]  # absent fields are kept
    assert updated["sample_rate"] == 50
    assert updated["start_time"] == "2025-11-13T00:00:00Z"


def test_closing_a_session_marks_it_uploaded(client, auth_headers):
    push(client, auth_headers, push_body("s-close", data=samples(3)))
    closing = {"session": {"session_id": "s-close", "end_time": "2025-11-13T01:00:00Z"}}
    push(client, auth_headers, closing)
    (session,) = pull(client, auth_headers, include_data=False)["sessions"]
    assert session["is_active"] is False
    assert session["is_uploaded"] is True
    assert session["end_time"] == "2025-11-13T01:00:00Z"


def test_explicit_is_active_and_is_uploaded_are_kept(client, auth_headers):
    push(
        client,
        auth_headers,
        push_body("s-flags", end_time="2025-11-13T01:00:00Z", is_active=True, is_uploaded=False),
    )
    (session,) = pull(client, auth_headers, include_data=False)["sessions"]
    assert session["is_active"] is True and session["is_uploaded"] is False


def test_last_synced_at_is_set_on_every_push(client, auth_headers, app):
    push(client, auth_headers, push_body("s-sync"))
    with app.app_context():
        first = db.session.scalar(db.select(RecordingSession.last_synced_at))
    push(client, auth_headers, push_body("s-sync"))
    with app.app_context():
        second = db.session.scalar(db.select(RecordingSession.last_synced_at))
    assert first is not None and second > first


def test_new_session_without_start_time_is_rejected(client, auth_headers):
    body = {"session": {"session_id": "no-start"}, "sensor_data": samples(2)}
    response = client.post("/api/sync/push", json=body, headers=auth_headers)
    assert response.status_code == 400
    assert "start_time" in response.json["error"]


def test_end_before_start_is_rejected_and_nothing_stored(client, auth_headers, app):
    body = push_body("bad-times", data=samples(2), end_time="2025-11-12T00:00:00Z")
    assert client.post("/api/sync/push", json=body, headers=auth_headers).status_code == 400
    push(client, auth_headers, push_body("later"))
    late_end = {
        "session": {"session_id": "later", "end_time": "2020-01-01T00:00:00Z"},
        "sensor_data": samples(2),
    }
    assert client.post("/api/sync/push", json=late_end, headers=auth_headers).status_code == 400
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(SensorData.id))) == 0


def test_each_push_writes_a_sync_log(client, auth_headers, app):
    body = push(client, auth_headers, push_body(data=samples(5)))
    with app.app_context():
        log = db.session.get(SyncLog, body["sync_log_id"])
        assert (log.sync_type, log.status) == ("push", "success")
        assert log.records_count == 5 and log.duplicates_count == 0
        assert log.details["inserted"] == 5 and log.details["sensor_types"] == ["accelerometer"]
        assert log.details["bytes"] > 0 and log.details["duration_ms"] >= 0
        assert log.completed_at >= log.started_at


def test_two_users_with_the_same_session_id_stay_separate(client, register):
    alice = register("alice").headers
    bob = register("bob").headers
    push(client, alice, push_body("shared-id", data=samples(3), notes="alice"))
    body = push(client, bob, push_body("shared-id", data=samples(3, z=1.0), notes="bob"))
    assert body["inserted"] == 3  # not duplicates of alice's samples
    (alice_session,) = pull(client, alice)["sessions"]
    (bob_session,) = pull(client, bob)["sessions"]
    assert alice_session["notes"] == "alice" and bob_session["notes"] == "bob"
    assert {s["data"]["z"] for s in alice_session["sensor_data"]} == {9.8}
    assert {s["data"]["z"] for s in bob_session["sensor_data"]} == {1.0}


def test_push_requires_auth(client):
    response = client.post("/api/sync/push", json=push_body())
    assert response.status_code == 401


def test_data_with_escapes_and_nesting_round_trips(client, auth_headers):
    tricky = {
        "note": 'tab\there\nnew line \\ backslash "quoted" \\N',
        "nested": {"list": [1, 2.5, None, True], "empty": {}},
        "unicode": "가속도 ✓",
    }
    batch = [{"sensor_type": "custom_1", "timestamp": BASE_TS, "data": tricky}]
    assert push(client, auth_headers, push_body(data=batch))["inserted"] == 1
    assert stored_samples(client, auth_headers, "session-1") == {("custom_1", BASE_TS): tricky}
    assert push(client, auth_headers, push_body(data=batch))["duplicates"] == 1


def test_appending_after_stored_samples_and_filling_a_hole(client, auth_headers):
    push(client, auth_headers, push_body(data=samples(10, start=BASE_TS)))
    later = push(client, auth_headers, push_body(data=samples(10, start=BASE_TS + 1000)))
    assert (later["inserted"], later["duplicates"]) == (10, 0)
    hole = samples(5, start=BASE_TS + 500) + samples(2, start=BASE_TS)
    body = push(client, auth_headers, push_body(data=hole))
    assert (body["inserted"], body["duplicates"], body["session_data_count"]) == (5, 2, 25)


def test_deleting_a_session_or_its_user_deletes_its_samples(client, register, app):
    from app.models import User

    account = register()
    user, headers = account.user, account.headers
    push(client, headers, push_body("gone", data=samples(30)))
    push(client, headers, push_body("kept", data=samples(20)))
    other = register().headers
    push(client, other, push_body("theirs", data=samples(10)))
    count = db.select(db.func.count(SensorData.id))
    with app.app_context():
        db.session.execute(db.delete(RecordingSession).where(RecordingSession.session_id == "gone"))
        db.session.commit()
        assert db.session.scalar(count) == 30
        db.session.execute(db.delete(User).where(User.id == user["id"]))
        db.session.commit()
        assert db.session.scalar(count) == 10
