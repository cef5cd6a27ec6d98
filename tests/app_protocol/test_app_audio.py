"""The app's audio upload (SyncManager) and file uploads (src/api/upload.ts), as the app
forms them; what landed is checked through /api."""

from __future__ import annotations

import gzip
import json

import pytest
from sqlalchemy import update

from app.extensions import db, limiter
from app.models import ChunkedUpload
from app.tasks.uploads import import_upload
from tests.app_protocol.app_client import AppApi, SyncManagerApi
from tests.app_protocol.app_uploads import (
    FilePart,
    encode_form,
    upload_audio,
    upload_file,
    upload_file_chunked,
)
from tests.audio import files

STOP_MS = 1_763_000_060_000


@pytest.fixture
def phone(client):
    api = AppApi(client)
    assert api.register("Jun", "jun@example.com", "correct-horse-battery").status_code == 201
    manager = SyncManagerApi(client)
    manager.set_auth_token(api.tokens.access_token)
    headers = {"Authorization": f"Bearer {api.tokens.access_token}"}
    return api, manager, headers


def recording(session_id: str = "sess-a", **fields) -> dict:
    """An AudioRecording of the app's database, as SyncManager reads it."""
    return {
        "sessionId": session_id,
        "timestamp": STOP_MS,
        "duration": 2,
        "sampleRate": 44100,
        "channels": 1,
        "format": "m4a",
        "filePath": "/data/user/0/com.koodtx/files/recording_1763000058000.m4a",
    } | fields


def test_audio_upload_creates_a_recording_downloadable_through_api(client, phone):
    api, manager, headers = phone
    data = files.mp4(2.0)
    response = upload_audio(manager, recording(), data)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["success"] is True
    got = body["data"]
    assert got["mimeType"] == "audio/mp4" and got["fileSize"] == len(data)
    assert got["duration"] == pytest.approx(2.0) and got["startTime"] == STOP_MS - 2000
    assert got["fileName"] == "recording_1763000058000.m4a"
    detail = client.get("/api/sessions/sess-a", headers=headers).get_json()
    assert [r["id"] for r in detail["audio_recordings"]] == [int(got["id"])]
    assert client.get(got["url"], headers=headers).data == data
    app_detail = api.get_session("sess-a").get_json()["data"]
    assert app_detail["audioRecordings"] == [got]


def test_the_same_recording_sent_again_is_one_recording(client, phone):
    _, manager, headers = phone
    first = upload_audio(manager, recording(), files.wav(1.0))
    again = upload_audio(manager, recording(), files.wav(1.0))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["data"]["id"] == first.get_json()["data"]["id"]
    detail = client.get("/api/sessions/sess-a", headers=headers).get_json()
    assert len(detail["audio_recordings"]) == 1


@pytest.mark.parametrize(
    ("fields", "file_data", "status", "code"),
    [
        ({}, b"this is a text file pretending to be m4a", 400, "VALIDATION_ERROR"),
        ({"timestamp": "yesterday"}, files.wav(), 400, "VALIDATION_ERROR"),
        ({"duration": "NaN"}, files.wav(), 400, "VALIDATION_ERROR"),
        ({"sessionId": "other-session"}, files.wav(), 400, "VALIDATION_ERROR"),
    ],
)
def test_bad_audio_uploads_are_refused_with_the_apps_error_shape(
    phone, fields, file_data, status, code
):
    _, manager, _ = phone
    response = upload_audio(manager, recording(**fields), file_data, path_session="sess-a")
    assert response.status_code == status
    body = response.get_json()
    assert body["success"] is False and body["code"] == code and body["message"]


def test_audio_without_a_file_or_not_multipart_is_refused(phone):
    _, manager, _ = phone
    body, content_type = encode_form([("sessionId", "sess-a")])
    url = "/api/app/sessions/sess-a/audio"
    missing = manager.client.post(url, data=body, headers=manager.headers(content_type))
    assert missing.status_code == 400 and "file" in missing.get_json()["message"]
    as_json = manager.client.post(url, data=b"{}", headers=manager.headers())
    assert as_json.status_code == 415


def test_oversized_audio_is_refused(app, phone):
    _, manager, _ = phone
    app.config["MAX_AUDIO_BYTES"] = 2000
    try:
        response = upload_audio(manager, recording(), files.wav(1.0))
    finally:
        app.config["MAX_AUDIO_BYTES"] = 200 * 1024 * 1024
    assert response.status_code == 413 and response.get_json()["code"] == "PAYLOAD_TOO_LARGE"


def test_audio_needs_a_token(phone):
    _, manager, _ = phone
    manager.set_auth_token(None)
    response = upload_audio(manager, recording(), files.wav())
    assert response.status_code == 401 and response.get_json()["code"] == "UNAUTHORIZED"


def test_single_upload_of_audio(client, phone):
    api, _, headers = phone
    data = files.opus(4.0)
    meta = {"sessionId": "sess-b", "dataType": "audio"}
    response = upload_file(api, data, "voice.ogg", "audio/ogg", meta)
    assert response.status_code == 201, response.get_json()
    out = response.get_json()["data"]
    assert set(out) == {"fileId", "fileName", "fileSize", "mimeType", "url", "uploadedAt"}
    assert out["mimeType"] == "audio/ogg" and out["fileSize"] == len(data)
    assert client.get(out["url"], headers=headers).data == data


def _import(client, headers, out: dict) -> dict:
    """Run the import the upload queued (as the worker would) and read its state."""
    upload = client.get(out["url"], headers=headers).get_json()
    import_upload.apply(args=[upload["id"]], task_id=upload["task_id"]).get()
    return client.get(out["url"], headers=headers).get_json()


def app_records(count: int, start: int = 1_763_000_000_000) -> list[dict]:
    """SensorDataRecords as the app writes them: every field, null when unused."""
    nulls = dict.fromkeys(("latitude", "longitude", "altitude", "accuracy", "speed", "heading"))
    return [
        {
            "timestamp": start + i * 10,
            "sensorType": "accelerometer",
            "x": i * 0.5,
            "y": 0.0,
            "z": 9.81,
        }
        | nulls
        for i in range(count)
    ]


@pytest.mark.parametrize("as_ndjson", [False, True])
def test_single_upload_of_app_sensor_records_is_imported(client, phone, as_ndjson):
    api, _, headers = phone
    records = app_records(50)
    if as_ndjson:
        data = b"\n".join(json.dumps(r).encode() for r in records)
    else:
        data = json.dumps(records).encode()
    meta = {"sessionId": "sess-c", "dataType": "sensor"}
    response = upload_file(api, data, "sensor_data.json", "application/json", meta)
    assert response.status_code == 201, response.get_json()
    out = response.get_json()["data"]
    assert out["mimeType"] == "application/x-ndjson" and out["fileId"].startswith("import-")
    state = _import(client, headers, out)
    assert (state["state"], state["inserted"], state["errors"]) == ("success", 50, 0)
    detail = client.get("/api/sessions/sess-c", headers=headers).get_json()
    assert detail["start_time"] == "2025-11-13T02:13:20Z"  # its first sample
    page = client.get("/api/sessions/sess-c/data?limit=100", headers=headers).get_json()
    assert page["samples"][3]["data"] == {"x": 1.5, "y": 0.0, "z": 9.81}


def test_single_upload_of_our_csv_is_imported(client, phone):
    api, _, headers = phone
    csv = b"sensor_type,timestamp,x,y,z\n" + b"".join(
        f"gyroscope,{1_763_000_000_000 + i},{i},0,0\n".encode() for i in range(20)
    )
    meta = {"sessionId": "sess-d", "dataType": "sensor"}
    out = upload_file(api, gzip.compress(csv), "g.csv.gz", "application/gzip", meta).get_json()
    assert out["data"]["mimeType"] == "application/gzip"
    assert _import(client, headers, out["data"])["inserted"] == 20


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        (None, "metadata"),
        ({"sessionId": "s"}, "dataType"),
        ({"sessionId": "bad id!", "dataType": "audio"}, "sessionId"),
        ({"sessionId": "s", "dataType": "video"}, "dataType"),
    ],
)
def test_single_upload_needs_valid_metadata(phone, metadata, message):
    api, _, _ = phone
    response = upload_file(api, files.wav(), "a.wav", "audio/wav", metadata)
    assert response.status_code == 400 and message in response.get_json()["message"]


def test_a_sensor_file_without_samples_is_refused(phone):
    api, _, _ = phone
    meta = {"sessionId": "sess-e", "dataType": "sensor"}
    response = upload_file(api, b"[]", "empty.json", "application/json", meta)
    assert response.status_code == 400 and response.get_json()["success"] is False


def test_chunked_upload_of_audio_joins_the_parts(client, phone):
    api, _, headers = phone
    data = files.wav(2.0, rate=8000)  # 32 kB: 4 parts of 10 kB
    meta = {"sessionId": "sess-f", "dataType": "audio"}
    parts, complete = upload_file_chunked(api, data, meta, chunk_size=10_000)
    assert [p.status_code for p in parts] == [200] * 4
    assert parts[2].get_json()["data"] == {
        "chunkId": parts[2].get_json()["data"]["chunkId"],
        "chunkNumber": 2,
        "totalChunks": 4,
        "uploaded": True,
    }
    assert complete.status_code == 200, complete.get_json()
    out = complete.get_json()["data"]
    assert out["mimeType"] == "audio/wav" and out["fileSize"] == len(data)
    assert client.get(out["url"], headers=headers).data == data


def test_chunked_upload_of_sensor_records_is_imported(client, phone):
    api, _, headers = phone
    data = b"\n".join(json.dumps(r).encode() for r in app_records(300))
    meta = {"sessionId": "sess-g", "dataType": "sensor"}
    _, complete = upload_file_chunked(api, data, meta, chunk_size=4096)
    assert complete.status_code == 200, complete.get_json()
    assert _import(client, headers, complete.get_json()["data"])["inserted"] == 300


def test_missing_parts_are_named_and_can_be_sent_later(client, phone):
    api, _, _ = phone
    data = files.wav(2.0, rate=8000)
    meta = {"sessionId": "sess-h", "dataType": "audio"}
    _, complete = upload_file_chunked(
        api, data, meta, chunk_size=10_000, upload_id="upload-1-abc", skip=frozenset({1, 3})
    )
    assert complete.status_code == 409
    assert complete.get_json()["details"]["missing_chunks"] == [1, 3]
    # The app retries: every part again (the stored ones are replaced), then completes.
    parts, complete = upload_file_chunked(
        api, data, meta, chunk_size=10_000, upload_id="upload-1-abc"
    )
    assert complete.status_code == 200
    again = api.request("POST", "/upload/complete", {"uploadId": "upload-1-abc"})
    assert again.status_code == 200 and again.get_json() == complete.get_json()


def test_a_part_after_completion_conflicts(phone):
    api, _, _ = phone
    meta = {"sessionId": "sess-i", "dataType": "audio"}
    upload_file_chunked(api, files.wav(0.2), meta, upload_id="upload-2-abc")
    parts, _ = upload_file_chunked(api, files.wav(0.2), meta, upload_id="upload-2-abc")
    assert parts[0].status_code == 409 and parts[0].get_json()["code"] == "CONFLICT"


def test_unknown_upload_is_not_found(phone):
    api, _, _ = phone
    response = api.request("POST", "/upload/complete", {"uploadId": "never-sent"})
    assert response.status_code == 404 and response.get_json()["code"] == "NOT_FOUND"


def test_another_users_upload_is_not_found(client, phone):
    api, _, _ = phone
    upload_file_chunked(
        api,
        files.wav(),
        {"sessionId": "s", "dataType": "audio"},
        chunk_size=1000,
        upload_id="shared-name",
        skip=frozenset({2}),
    )
    other = AppApi(client)
    other.register("Eve", "eve@example.com", "correct-horse-battery")
    response = other.request("POST", "/upload/complete", {"uploadId": "shared-name"})
    assert response.status_code == 404


def test_unfinished_uploads_per_user_are_capped(app, phone):
    api, _, _ = phone
    limit = app.config["CHUNKED_UPLOAD_MAX_PENDING"]
    meta = {"sessionId": "s", "dataType": "audio"}
    for n in range(limit):
        upload_file_chunked(
            api, b"x" * 20, meta, chunk_size=10, upload_id=f"u-{n}", skip=frozenset({1})
        )
    parts, _ = upload_file_chunked(api, b"x" * 20, meta, chunk_size=10, upload_id="u-extra")
    assert parts[0].status_code == 429 and parts[0].get_json()["code"] == "RATE_LIMITED"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"chunkNumber": "4"}, "chunkNumber"),
        ({"chunkNumber": "-1"}, "chunkNumber"),
        ({"totalChunks": "0"}, "totalChunks"),
        ({"totalChunks": "999999"}, "totalChunks"),
        ({"uploadId": "../../etc"}, "uploadId"),
        ({"metadata": "{not json"}, "metadata"),
    ],
)
def test_malformed_parts_are_refused(phone, fields, message):
    api, _, _ = phone
    form = {"uploadId": "u-1", "chunkNumber": "0", "totalChunks": "4"} | fields
    parts = [("chunk", FilePart(b"data", "blob", "application/octet-stream")), *form.items()]
    body, content_type = encode_form(parts)
    headers = {"Authorization": f"Bearer {api.tokens.access_token}", "Content-Type": content_type}
    response = api.client.post("/api/app/upload/chunk", data=body, headers=headers)
    assert response.status_code == 400 and message in response.get_json()["message"]


def test_audio_uploads_have_their_own_rate_limit(app, phone):
    _, manager, _ = phone
    limiter.enabled = True
    limiter.reset()
    app.config["AUDIO_RATE_LIMIT"] = "2 per minute"
    try:
        answers = [upload_audio(manager, recording(), files.wav()).status_code for _ in range(3)]
        refused = upload_audio(manager, recording(), files.wav())
    finally:
        app.config["AUDIO_RATE_LIMIT"] = "60 per minute"
        limiter.enabled = False
    assert answers == [201, 200, 429]
    assert refused.get_json()["code"] == "RATE_LIMITED" and refused.headers["Retry-After"]


def test_a_completion_in_progress_is_not_run_twice(app, phone):
    api, _, _ = phone
    meta = {"sessionId": "s-busy", "dataType": "audio"}
    upload_file_chunked(api, files.wav(), meta, upload_id="busy", skip=frozenset({0}))
    body, content_type = encode_form(
        [
            ("chunk", FilePart(files.wav(), "blob", "application/octet-stream")),
            ("uploadId", "busy"),
            ("chunkNumber", "0"),
            ("totalChunks", "1"),
            ("metadata", json.dumps(meta)),
        ]
    )
    headers = {"Authorization": f"Bearer {api.tokens.access_token}", "Content-Type": content_type}
    assert api.client.post("/api/app/upload/chunk", data=body, headers=headers).status_code == 200
    with app.app_context():
        db.session.execute(update(ChunkedUpload).values(state="completing"))
        db.session.commit()
    busy = api.request("POST", "/upload/complete", {"uploadId": "busy"})
    assert busy.status_code == 409 and "another request" in busy.get_json()["message"]


def test_a_refused_file_leaves_the_upload_open_for_another_try(phone):
    api, _, _ = phone
    meta = {"sessionId": "s-bad", "dataType": "audio"}
    _, first = upload_file_chunked(
        api, b"not audio at all" * 10, meta, chunk_size=50, upload_id="bad-bytes"
    )
    again = api.request("POST", "/upload/complete", {"uploadId": "bad-bytes"})
    assert first.status_code == again.status_code == 400
