"""POST /api/uploads and GET /api/uploads/<id>: validation, storage, ownership, import."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import RecordingSession, SyncLog, Upload
from app.tasks.uploads import import_upload
from tests.payloads import T0, xyz
from tests.tasks.data import push
from tests.uploads.files import csv_file, gz, meta, ndjson, post_upload


def _files(app) -> set[Path]:
    return {p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file()}


def _import(client, headers, body) -> dict:
    import_upload.apply(args=[body["upload_id"]], task_id=body["task_id"]).get()
    return client.get(f"/api/uploads/{body['upload_id']}", headers=headers).json


def test_an_upload_is_stored_then_imported_like_a_push(app, client, register):
    headers = register().headers
    samples = xyz("accelerometer", 120) + xyz("gyroscope", 30)

    response = post_upload(client, headers, gz(ndjson(samples)), "walk.ndjson.gz")

    assert response.status_code == 202
    body = response.json
    assert body["state"] == "pending" and body["status_url"] == f"/api/uploads/{body['upload_id']}"
    with app.app_context():
        stored = db.session.get(Upload, body["upload_id"])
        assert Path(stored.stored_path).is_file()
        assert (stored.file_format, stored.compressed, stored.filename) == (
            "ndjson",
            True,
            "walk.ndjson.gz",
        )
    task = client.get(f"/api/tasks/{body['task_id']}", headers=headers).json
    assert (task["type"], task["state"]) == ("upload", "PENDING")

    shown = _import(client, headers, body)

    assert shown | {"error_details": []} == shown
    counts = {k: shown[k] for k in ("state", "total_records", "inserted", "duplicates", "errors")}
    assert counts == {
        "state": "success",
        "total_records": 150,
        "inserted": 150,
        "duplicates": 0,
        "errors": 0,
    }
    assert shown["lines_total"] == shown["lines_processed"] == 150
    task = client.get(f"/api/tasks/{body['task_id']}", headers=headers).json
    assert task["state"] == "SUCCESS" and task["upload"]["inserted"] == 150
    with app.app_context():
        session = db.session.scalar(select(RecordingSession))
        assert (session.session_id, session.data_count, session.is_active) == ("upl", 150, False)
        assert session.is_uploaded is True
        log = db.session.scalar(select(SyncLog).where(SyncLog.recording_session_id == session.id))
        assert log.details["source"] == "upload" and log.records_count == 150
    replay = push(client, headers, "upl", samples[:10])
    assert replay["duplicates"] == 10


def test_csv_rows_become_samples_and_bad_rows_are_reported(app, client, register):
    headers = register().headers
    rows = [
        f"accelerometer,{T0},0.5,1,9.81",
        f"accelerometer,{T0 + 10},0.6,,9.8",
        f"accelerometer,{T0 + 20},0.7,1",
        f"Accelerometer,{T0 + 30},0.1,0.2,0.3",
        "accelerometer,soon,0.1,0.2,0.3",
        f"gyroscope,{T0},nan,0,0",
        f"gyroscope,{T0 + 5},a,b,c",
    ]
    body = post_upload(client, headers, gz(csv_file(rows)), "rec.csv.gz").json

    shown = _import(client, headers, body)

    assert (shown["format"], shown["inserted"], shown["errors"]) == ("csv", 3, 4)
    assert [e["line"] for e in shown["error_details"]] == [3, 4, 5, 6]
    assert "expected 5 columns" in shown["error_details"][0]["error"]
    pulled = client.post("/api/sync/pull", json={}, headers=headers).json["sessions"][0]
    data = {(s["sensor_type"], s["timestamp"]): s["data"] for s in pulled["sensor_data"]}
    assert data[("accelerometer", T0)] == {"x": 0.5, "y": 1, "z": 9.81}
    assert data[("accelerometer", T0 + 10)] == {"x": 0.6, "z": 9.8}
    assert data[("gyroscope", T0 + 5)] == {"x": "a", "y": "b", "z": "c"}


def test_malformed_lines_are_counted_and_the_first_hundred_reported(client, register):
    headers = register().headers
    lines = []
    for i in range(300):
        lines.append(b"{not json" if i % 2 else xyz("light", 1, start=T0 + i)[0])
    lines.append(b"[1, 2]")
    lines.append({"sensor_type": "gps", "timestamp": T0, "data": {"lat": float("nan")}})
    content = ndjson(lines).replace(b'"lat":null', b'"lat":NaN') + b"\n\n"
    body = post_upload(client, headers, content).json

    shown = _import(client, headers, body)

    assert (shown["inserted"], shown["errors"], shown["total_records"]) == (150, 152, 302)
    assert len(shown["error_details"]) == 100
    assert shown["error_details"][0] == {
        "line": 2,
        "error": shown["error_details"][0]["error"],
    }
    assert shown["error_details"][0]["error"].startswith("invalid JSON")
    assert shown["lines_processed"] == 302


@pytest.mark.parametrize(
    ("content", "filename", "form", "status", "message"),
    [
        (b"", "a.ndjson", {}, 400, "empty"),
        (b"x", "a.ndjson.gz", {}, 400, "cannot be read"),
        (b"a,b\n1,2\n", "a.csv", {}, 400, "header"),
        (b'{"a": 1}\n', "a.ndjson", {"format": "xml"}, 400, "format"),
    ],
)
def test_unusable_files_are_rejected(client, register, content, filename, form, status, message):
    headers = register().headers
    if filename.endswith(".gz") and content == b"x":
        content = b"\x1f\x8bnot really gzip"
    response = post_upload(client, headers, content, filename, **form)
    assert response.status_code == status and message in response.json["error"]


def test_invalid_session_metadata_is_rejected_and_nothing_stored(app, client, register):
    headers = register().headers
    content = ndjson(xyz("gyroscope", 3))
    multipart = {"headers": headers, "content_type": "multipart/form-data"}
    files_before = _files(app)
    cases = [
        post_upload(client, headers, content, session=False),
        client.post(
            "/api/uploads",
            data={"session": "{oops", "file": (io.BytesIO(content), "a.ndjson")},
            **multipart,
        ),
        post_upload(client, headers, content, session={"session_id": "new"}),
        post_upload(client, headers, content, session=meta(start_time="tomorrow")),
        client.post("/api/uploads", data={"session": json.dumps(meta())}, **multipart),
    ]
    assert [r.status_code for r in cases] == [400, 400, 400, 400, 400]
    assert "session" in cases[0].json["error"] and "file" in cases[4].json["error"]
    assert client.post("/api/uploads", json={}, headers=headers).status_code == 415
    with app.app_context():
        assert db.session.scalar(select(Upload.id)) is None
    assert _files(app) == files_before


def test_an_upload_above_the_size_limit_is_refused(app, client, register, monkeypatch):
    headers = register().headers
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 1000)
    response = post_upload(client, headers, ndjson(xyz("gyroscope", 50)))
    assert response.status_code == 413 and response.json["error"]


def test_uploads_may_be_larger_than_other_requests(app, client, register, monkeypatch):
    headers = register().headers
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2000)
    content = ndjson(xyz("gyroscope", 100))
    assert len(content) > 2000
    assert post_upload(client, headers, content).status_code == 202
    too_big = client.post("/api/sync/push", json={"sensor_data": ["x" * 3000]}, headers=headers)
    assert too_big.status_code == 413


def test_uploads_are_only_shown_to_their_owner(client, register):
    headers = register().headers
    stranger = register().headers
    body = post_upload(client, headers, ndjson(xyz("gyroscope", 3))).json
    assert client.get(f"/api/uploads/{body['upload_id']}", headers=stranger).status_code == 404
    assert client.get(f"/api/tasks/{body['task_id']}", headers=stranger).status_code == 404
    assert client.get("/api/uploads/999999", headers=headers).status_code == 404
    assert client.get(f"/api/uploads/{body['upload_id']}").status_code == 401


def test_unknown_session_fields_are_not_kept_and_cannot_break_the_insert(app, client, register):
    """Fields of the session part that SessionIn ignores were stored verbatim: a U+0000 in one
    of them made PostgreSQL's jsonb refuse the insert (500, found by schemathesis)."""
    headers = register().headers
    session = meta(extra={"a\u0000": ["\u0000"]}, notes="kept")
    response = post_upload(client, headers, ndjson(xyz("gyroscope", 3)), session=session)
    assert response.status_code == 202, response.json
    with app.app_context():
        stored = db.session.get(Upload, response.json["upload_id"]).session_meta
    assert set(stored) == {"session_id", "start_time", "end_time", "notes"}
    assert stored["notes"] == "kept"
    assert _import(client, headers, response.json)["state"] == "success"
