"""Beat housekeeping of audio: retention with the samples' rule, orphan files, and the expiry
of unfinished resumable uploads. Each task body is called as the worker would."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from app.app_protocol.file_uploads import chunks
from app.extensions import db
from app.models import AudioRecording, ChunkedUpload, ChunkedUploadPart
from app.tasks.audio_files import (
    cleanup_old_audio,
    cleanup_orphan_audio_files,
    expire_chunked_uploads,
)
from app.worker.schedule import BEAT_SCHEDULE
from tests.app_protocol.app_client import AppApi
from tests.app_protocol.app_uploads import upload_file_chunked
from tests.audio import files
from tests.audio.helpers import add_recording
from tests.payloads import push_body


@pytest.fixture(autouse=True)
def _test_app_celery(celery_app):
    return celery_app


def _iso(days_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _audio_files(app) -> set[str]:
    root = Path(app.config["AUDIO_FOLDER"])
    return {p.name for p in root.rglob("*") if p.is_file()}


def _recordings(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AudioRecording))


def test_old_audio_goes_with_the_samples_retention_and_sessions_stay(app, client, register):
    registered = register()
    user, headers = registered.user, registered.headers
    old = push_body("old", start_time=_iso(41), end_time=_iso(40), is_uploaded=True)
    recent = push_body("recent", start_time=_iso(3), end_time=_iso(2), is_uploaded=True)
    still_open = push_body("open", start_time=_iso(41))
    for body in (old, recent, still_open):
        assert client.post("/api/sync/push", json=body, headers=headers).status_code == 200
    for session_id in ("old", "recent", "open"):
        add_recording(app, user["id"], session_id, files.wav(0.1 + len(session_id) / 100))

    summary = cleanup_old_audio.apply(args=(30,)).get()

    assert summary["recordings_deleted"] == 1 and summary["files"] == 1
    assert _recordings(app) == 2 and len(_audio_files(app)) == 2
    detail = client.get("/api/sessions/old", headers=headers).json
    assert detail["audio_recordings"] == [] and detail["session_id"] == "old"
    assert cleanup_old_audio.apply(args=(30,)).get()["recordings_deleted"] == 0


def test_orphan_files_are_removed_once_old_enough(app, client, register):
    registered = register()
    user, headers = registered.user, registered.headers
    client.post("/api/sync/push", json=push_body("s"), headers=headers)
    add_recording(app, user["id"], "s", files.wav())
    folder = Path(app.config["AUDIO_FOLDER"]) / str(user["id"])
    orphan, fresh = folder / "left-by-a-crash.wav", folder / "being-stored.part"
    orphan.write_bytes(b"x")
    fresh.write_bytes(b"y")
    hour_ago = time.time() - 7200
    os.utime(orphan, (hour_ago, hour_ago))

    assert cleanup_orphan_audio_files.apply().get()["orphans_deleted"] == 1

    assert not orphan.exists() and fresh.exists() and _recordings(app) == 1
    assert len(_audio_files(app)) == 2


def test_expired_chunked_uploads_and_their_parts_are_removed(app, client):
    api = AppApi(client)
    api.register("Kim", "kim@example.com", "correct-horse-battery")
    meta = {"sessionId": "s", "dataType": "audio"}
    upload_file_chunked(
        api, b"0123456789" * 3, meta, chunk_size=10, upload_id="stale", skip=frozenset({2})
    )
    upload_file_chunked(
        api, b"0123456789" * 3, meta, chunk_size=10, upload_id="live", skip=frozenset({2})
    )
    with app.app_context():
        folders = {
            upload.upload_key: chunks.parts_folder(upload)
            for upload in db.session.scalars(select(ChunkedUpload))
        }
        db.session.execute(
            update(ChunkedUpload)
            .where(ChunkedUpload.upload_key == "stale")
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
        db.session.commit()
    assert sorted(p.name for p in folders["stale"].iterdir()) == ["0.part", "1.part"]

    assert expire_chunked_uploads.apply().get() == {"uploads_deleted": 1}

    with app.app_context():
        assert list(db.session.scalars(select(ChunkedUpload.upload_key))) == ["live"]
        assert db.session.scalar(select(func.count()).select_from(ChunkedUploadPart)) == 2
    assert not folders["stale"].exists()
    assert sorted(p.name for p in folders["live"].iterdir()) == ["0.part", "1.part"]
    response = api.request("POST", "/upload/complete", {"uploadId": "stale"})
    assert response.status_code == 404


def test_the_housekeeping_is_scheduled():
    tasks = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert {
        "app.tasks.audio_files.cleanup_old_audio",
        "app.tasks.audio_files.cleanup_orphan_audio_files",
        "app.tasks.audio_files.expire_chunked_uploads",
    } <= tasks
