"""Sessions and sensor records through the app protocol: the push rules, provisional
sessions, isolation."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import SensorData

START = 1_764_480_000_000


def _session(session_id: str, **fields) -> dict:
    return {
        "sessionId": session_id,
        "startTime": START,
        "endTime": None,
        "enabledSensors": ["accelerometer"],
        "sampleRate": 50,
        "notes": None,
        "isActive": True,
    } | fields


def _acc(ts: int, x: float = 0.5) -> dict:
    return {"timestamp": ts, "sensorType": "accelerometer", "x": x, "y": 0.0, "z": 9.8}


def test_a_later_upload_wins_and_fields_left_out_keep_their_value(phone):
    phone.manager.upload_session(_session("s-lww", notes="first"))
    closed = phone.manager.upload_session(_session("s-lww", endTime=START + 5000, isActive=False))
    data = closed.get_json()["data"]
    assert data["notes"] is None  # SyncManager sends null: the notes were cleared
    assert data["endTime"] == START + 5000 and data["isActive"] is False
    patched = phone.api.update_session("s-lww", metadata={"k": 1})
    assert patched.get_json()["data"]["endTime"] == START + 5000
    assert patched.get_json()["data"]["metadata"] == {"k": 1}


def test_an_end_before_the_start_is_refused_sent_or_stored(phone):
    bad = phone.manager.upload_session(_session("s-span", endTime=START - 1))
    assert bad.status_code == 400 and bad.get_json()["code"] == "VALIDATION_ERROR"
    phone.manager.upload_session(_session("s-span"))
    bad_patch = phone.api.update_session("s-span", endTime=START - 1)
    assert bad_patch.status_code == 400 and bad_patch.get_json()["message"] == (
        "endTime must not be before startTime."
    )


def test_records_before_their_session_create_it_provisionally_and_move_its_start(phone, client):
    first = phone.manager.upload_sensor_data("s-early", [_acc(START + 1000), _acc(START + 2000)])
    assert first.get_json()["data"]["provisional"] is True
    earlier = phone.manager.upload_sensor_data("s-early", [_acc(START + 500)])
    assert earlier.get_json()["data"]["inserted"] == 1
    session = phone.api.get_session("s-early").get_json()["data"]
    assert session["provisional"] is True and session["startTime"] == START + 500
    assert session["dataCount"] == 3 and session["isActive"] is True

    confirmed = phone.manager.upload_session(_session("s-early", startTime=START))
    data = confirmed.get_json()["data"]
    assert data["provisional"] is False and data["startTime"] == START and data["dataCount"] == 3
    later = phone.manager.upload_sensor_data("s-early", [_acc(START - 10_000)])
    assert later.get_json()["data"]["provisional"] is False
    assert phone.api.get_session("s-early").get_json()["data"]["startTime"] == START


def test_invalid_records_are_skipped_and_reported_in_the_apps_names(phone):
    records = [
        _acc(START),
        {"timestamp": START + 1, "sensorType": "Bad Type"},
        _acc(START + 0.5),
        _acc(12),
    ]
    response = phone.manager.upload_sensor_data("s-bad", records)
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert data["inserted"] == 1 and data["errors"] == 3
    assert [e["index"] for e in data["errorDetails"]] == [1, 2, 3]
    assert data["errorDetails"][0]["error"].startswith("sensorType")


def test_an_unknown_session_with_only_invalid_records_is_not_created(phone):
    response = phone.manager.upload_sensor_data(
        "s-none", [{"timestamp": "soon", "sensorType": "x"}]
    )
    assert response.status_code == 200 and response.get_json()["data"]["errors"] == 1
    assert phone.api.get_session("s-none").status_code == 404


def test_a_changed_record_replaces_the_stored_one(phone, client):
    phone.manager.upload_sensor_data("s-replace", [_acc(START, 1.0)])
    again = phone.manager.upload_sensor_data("s-replace", [_acc(START, 2.0)]).get_json()["data"]
    assert again["updated"] == 1 and again["inserted"] == 0
    data = client.get("/api/sessions/s-replace/data", headers=phone.headers).get_json()
    assert data["samples"][0]["data"]["x"] == 2.0


def test_too_many_records_is_413(app, phone):
    app.config["MAX_SAMPLES_PER_PUSH"], saved = 3, app.config["MAX_SAMPLES_PER_PUSH"]
    try:
        response = phone.manager.upload_sensor_data("s-big", [_acc(START + i) for i in range(4)])
    finally:
        app.config["MAX_SAMPLES_PER_PUSH"] = saved
    assert response.status_code == 413 and response.get_json()["code"] == "PAYLOAD_TOO_LARGE"


def test_another_users_sessions_are_not_found(phone, other_phone):
    phone.manager.upload_session(_session("s-mine"))
    assert other_phone.api.get_session("s-mine").status_code == 404
    assert other_phone.api.update_session("s-mine", metadata={}).status_code == 404
    assert other_phone.api.delete_session("s-mine").status_code == 404
    # Their upload under the same id is their own session, not a change to this one.
    other_phone.manager.upload_sensor_data("s-mine", [_acc(START)])
    assert phone.api.get_session("s-mine").get_json()["data"]["dataCount"] == 0
    listed = other_phone.api.get_sessions().get_json()
    assert [item["id"] for item in listed["items"]] == ["s-mine"] and listed["total"] == 1


def test_sessions_list_in_the_asked_order(phone):
    for i, sid in enumerate(("s-a", "s-b", "s-c")):
        phone.manager.upload_session(_session(sid, startTime=START + (2 - i) * 1000))
    body = phone.api.get_sessions(limit=2, sort_by="startTime", sort_order="asc").get_json()
    assert [s["id"] for s in body["items"]] == ["s-c", "s-b"] and body["hasNext"] is True
    body = phone.api.get_sessions(page=2, limit=2, sort_by="startTime", sort_order="asc").get_json()
    assert [s["id"] for s in body["items"]] == ["s-a"] and body["hasPrev"] is True
    bad = phone.api.get_sessions(sort_by="name")
    assert bad.status_code == 400 and bad.get_json()["code"] == "VALIDATION_ERROR"


def test_deleting_a_session_deletes_its_records(app, phone):
    phone.manager.upload_sensor_data("s-gone", [_acc(START + i) for i in range(3)])
    phone.manager.upload_sensor_data("s-stays", [_acc(START)])
    assert phone.api.delete_session("s-gone").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SensorData)) == 1


def test_records_for_an_id_no_session_can_have_are_404(phone):
    response = phone.manager.upload_sensor_data(".exe", [_acc(START)])
    assert response.status_code == 404 and response.get_json()["code"] == "NOT_FOUND"


def test_metadata_numbers_that_cannot_be_written_back_are_refused(phone, client):
    phone.manager.upload_session(_session("s-meta"))
    for raw in (
        b'{"metadata": {"big": 1e20}}',
        b'{"metadata": {"n": [NaN]}}',
        b'{"metadata": {"i": 18446744073709551616}}',
    ):
        response = client.patch(
            "/api/app/sessions/s-meta",
            data=raw,
            headers=phone.headers | {"Content-Type": "application/json"},
        )
        assert response.status_code == 400 and "2^63" in response.get_json()["message"], raw
    fine = phone.api.update_session("s-meta", metadata={"small": 1e18, "x": [1.5, -2]})
    assert (
        fine.status_code == 200
        and phone.api.get_session("s-meta").get_json()["data"]["metadata"]["small"] == 1e18
    )
