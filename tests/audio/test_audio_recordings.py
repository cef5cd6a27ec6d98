"""Recordings are stored once per content, listed in the session detail, downloadable with
Range support by their owner only, and removed with their session."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app.audio.service import app_audio_recordings_json
from app.errors import PayloadTooLarge, ValidationFailed
from app.extensions import db
from app.models import RecordingSession
from tests.audio import files
from tests.audio.helpers import add_recording
from tests.payloads import push_body

STOP_MS = 1_763_000_060_000  # 2025-11-13T02:14:20Z


@pytest.fixture
def owner(client, register):
    registered = register()
    user, headers = registered.user, registered.headers
    assert client.post("/api/sync/push", json=push_body("s-1"), headers=headers).status_code == 200
    return user["id"], headers


def _audio_files(app) -> list[Path]:
    return [p for p in Path(app.config["AUDIO_FOLDER"]).rglob("*") if p.is_file()]


def test_the_same_file_twice_is_one_recording(app, client, owner):
    user_id, headers = owner
    first = add_recording(app, user_id, "s-1", files.mp4(2.0), timestamp_ms=STOP_MS)
    again = add_recording(app, user_id, "s-1", files.mp4(2.0), timestamp_ms=STOP_MS)
    assert first[1] is True and again == (first[0], False)
    detail = client.get("/api/sessions/s-1", headers=headers).json
    assert [r["id"] for r in detail["audio_recordings"]] == [first[0]]
    assert len(_audio_files(app)) == 1


def test_the_detail_describes_what_the_bytes_are(app, client, owner):
    user_id, headers = owner
    add_recording(app, user_id, "s-1", files.wav(3.0, rate=16000), timestamp_ms=STOP_MS)
    (recording,) = client.get("/api/sessions/s-1", headers=headers).json["audio_recordings"]
    assert recording["format"] == "wav" and recording["mime_type"] == "audio/wav"
    assert recording["duration_seconds"] == pytest.approx(3.0)
    assert recording["sample_rate"] == 16000 and recording["channels"] == 1
    # The app stamps a recording when it stops: it started `duration` earlier.
    assert recording["started_at"] == "2025-11-13T02:14:17Z"


def test_an_unknown_session_is_created_starting_with_the_recording(app, client, register):
    registered = register()
    user, headers = registered.user, registered.headers
    add_recording(app, user["id"], "phone-7", files.mp4(10.0), timestamp_ms=STOP_MS)
    detail = client.get("/api/sessions/phone-7", headers=headers).json
    assert detail["start_time"] == "2025-11-13T02:14:10Z" and detail["is_active"] is True
    assert len(detail["audio_recordings"]) == 1


def test_download_returns_the_bytes_with_range_and_validators(app, client, owner):
    user_id, headers = owner
    data = files.mp3(40)
    audio_id, _ = add_recording(app, user_id, "s-1", data)
    url = f"/api/sessions/s-1/audio/{audio_id}"
    whole = client.get(url, headers=headers)
    assert whole.status_code == 200 and whole.data == data
    assert whole.mimetype == "audio/mpeg" and whole.headers["Accept-Ranges"] == "bytes"
    part = client.get(url, headers=headers | {"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == data[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
    outside = client.get(url, headers=headers | {"Range": f"bytes={len(data) + 10}-"})
    assert outside.status_code == 416
    etag = whole.headers["ETag"]
    assert client.get(url, headers=headers | {"If-None-Match": etag}).status_code == 304


def test_another_users_recording_is_not_found(app, client, register, owner):
    user_id, _ = owner
    audio_id, _ = add_recording(app, user_id, "s-1", files.wav())
    stranger = register().headers
    response = client.get(f"/api/sessions/s-1/audio/{audio_id}", headers=stranger)
    assert response.status_code == 404 and "error" in response.json
    client.post("/api/sync/push", json=push_body("s-1"), headers=stranger)
    # Even with a session of the same name, the stranger's session holds no such recording.
    assert client.get(f"/api/sessions/s-1/audio/{audio_id}", headers=stranger).status_code == 404


def test_deleting_the_session_deletes_recordings_and_files(app, client, owner):
    user_id, headers = owner
    audio_id, _ = add_recording(app, user_id, "s-1", files.opus())
    assert len(_audio_files(app)) == 1
    assert client.delete("/api/sessions/s-1", headers=headers).status_code == 200
    assert _audio_files(app) == []
    client.post("/api/sync/push", json=push_body("s-1"), headers=headers)
    assert client.get(f"/api/sessions/s-1/audio/{audio_id}", headers=headers).status_code == 404


def test_refused_files_leave_nothing_behind(app, owner):
    user_id, _ = owner
    with pytest.raises(ValidationFailed):
        add_recording(app, user_id, "s-1", b"MZ\x90\x00 a program, not audio")
    app.config["MAX_AUDIO_BYTES"] = 1000
    try:
        with pytest.raises(PayloadTooLarge):
            add_recording(app, user_id, "s-1", files.wav(1.0))
    finally:
        app.config["MAX_AUDIO_BYTES"] = 200 * 1024 * 1024
    assert _audio_files(app) == []


def test_an_impossible_timestamp_is_refused(app, owner):
    user_id, _ = owner
    with pytest.raises(ValidationFailed, match="timestamp"):
        add_recording(app, user_id, "s-1", files.wav(), timestamp_ms=1_763_000_060)


def test_the_app_protocols_listing_has_the_apps_names_and_times(app, owner):
    user_id, _ = owner
    audio_id, _ = add_recording(app, user_id, "s-1", files.wav(2.0), timestamp_ms=STOP_MS)
    with app.app_context():
        session = db.session.scalar(
            select(RecordingSession).where(
                RecordingSession.user_id == user_id, RecordingSession.session_id == "s-1"
            )
        )
        (listed,) = app_audio_recordings_json(session)
    assert listed["id"] == str(audio_id) and listed["sessionId"] == "s-1"
    assert listed["startTime"] == STOP_MS - 2000 and listed["timestamp"] == STOP_MS
    assert listed["url"] == f"/api/sessions/s-1/audio/{audio_id}"
    assert isinstance(listed["uploadedAt"], int) and listed["mimeType"] == "audio/wav"
