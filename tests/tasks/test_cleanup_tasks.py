"""The six cleanup tasks: exactly what they should remove, nothing else, and safe to repeat."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.housekeeping import retention
from app.models import RecordingSession, SensorData, SyncLog, Upload
from app.tasks.file_cleanup import (
    cleanup_failed_sessions,
    cleanup_old_sensor_data,
    cleanup_old_sync_logs,
    cleanup_uploaded_files,
    generate_cleanup_report,
    optimize_database,
)
from tests.payloads import xyz
from tests.tasks.data import age_session, push, session_pk


def _iso(days_ago: float) -> str:
    moment = datetime.now(UTC) - timedelta(days=days_ago)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ms(days_ago: float) -> int:
    return int((time.time() - days_ago * 86400) * 1000)


def _samples_per_session(app) -> dict[int, int]:
    with app.app_context():
        rows = db.session.execute(
            select(SensorData.recording_session_id, func.count()).group_by(
                SensorData.recording_session_id
            )
        )
        return dict(rows.all())


def _session(app, pk: int) -> RecordingSession:
    with app.app_context():
        session = db.session.get(RecordingSession, pk)
        db.session.expunge(session)
        return session


def _recorded(client, headers, session_id: str, days_ago: float, count: int = 25, **fields):
    """A session recorded `days_ago` days ago (closed unless told otherwise)."""
    fields = {"start_time": _iso(days_ago), "end_time": _iso(days_ago - 0.01)} | fields
    data = xyz("accelerometer", count, start=_ms(days_ago))
    return push(client, headers, session_id, data, **fields)


def test_old_sensor_data_of_uploaded_closed_sessions_is_deleted_in_batches(
    app, client, register, monkeypatch
):
    account = register()
    mine, headers = account.user, account.headers
    account = register()
    other, other_headers = account.user, account.headers
    _recorded(client, headers, "old", 40)
    _recorded(client, headers, "recent", 10)
    _recorded(client, headers, "old-active", 40, end_time=None)
    _recorded(client, other_headers, "old", 40, count=30)
    _recorded(client, other_headers, "old-not-uploaded", 40, is_uploaded=False)
    pks = {
        (user["id"], sid): session_pk(app, user["id"], sid)
        for user, sid in [
            (mine, "old"),
            (mine, "recent"),
            (mine, "old-active"),
            (other, "old"),
            (other, "old-not-uploaded"),
        ]
    }
    before = {pk: _session(app, pk) for pk in pks.values()}
    monkeypatch.setattr(retention, "BATCH", 7)

    summary = cleanup_old_sensor_data(30)

    assert summary["sessions"] == 2 and summary["samples_deleted"] == 55
    assert summary["transactions"] == 4 + 5  # 25 rows in batches of 7, 30 rows
    remaining = _samples_per_session(app)
    assert pks[(mine["id"], "old")] not in remaining
    assert pks[(other["id"], "old")] not in remaining
    assert remaining == {
        pks[(mine["id"], "recent")]: 25,
        pks[(mine["id"], "old-active")]: 25,
        pks[(other["id"], "old-not-uploaded")]: 25,
    }
    for pk, old in before.items():  # metadata stays, data_count keeps "samples received"
        now = _session(app, pk)
        assert (now.data_count, now.updated_at, now.end_time) == (
            old.data_count,
            old.updated_at,
            old.end_time,
        )
    again = cleanup_old_sensor_data(30)
    assert (again["sessions"], again["samples_deleted"]) == (0, 0)


def test_old_sync_logs_are_deleted_and_recent_ones_kept(app, client, register, monkeypatch):
    headers = register().headers
    other_headers = register().headers
    for i in range(3):
        _recorded(client, headers, f"s{i}", 1)
        _recorded(client, other_headers, f"s{i}", 1)
    with app.app_context():
        ids = db.session.scalars(select(SyncLog.id).order_by(SyncLog.id)).all()
        old = ids[::2]  # both users' logs, interleaved
        db.session.execute(
            update(SyncLog)
            .where(SyncLog.id.in_(old))
            .values(started_at=datetime.now(UTC) - timedelta(days=91))
        )
        db.session.commit()
    monkeypatch.setattr(retention, "BATCH", 2)

    summary = cleanup_old_sync_logs(90)

    assert summary["sync_logs_deleted"] == len(old) == 3
    with app.app_context():
        assert db.session.scalars(select(SyncLog.id).order_by(SyncLog.id)).all() == ids[1::2]
    assert cleanup_old_sync_logs(90)["sync_logs_deleted"] == 0


def _upload_row(app, user_id: int, path: Path, state: str) -> None:
    with app.app_context():
        db.session.add(
            Upload(
                user_id=user_id,
                session_id="s",
                session_meta={},
                filename=path.name,
                stored_path=str(path),
                file_format="ndjson",
                size_bytes=path.stat().st_size,
                state=state,
                error_details=[],
            )
        )
        db.session.commit()


def test_uploaded_files_are_deleted_after_their_import_is_long_over(app, register):
    user = register().user
    folder = Path(app.config["UPLOAD_FOLDER"]) / "cleanup-test"
    folder.mkdir(parents=True, exist_ok=True)
    week_ago = time.time() - 8 * 86400
    files = {}
    for name in ("old-done", "old-pending", "old-orphan", "recent-done"):
        files[name] = folder / name
        files[name].write_bytes(b"x" * 10)
        if name.startswith("old"):
            os.utime(files[name], (week_ago, week_ago))
    _upload_row(app, user["id"], files["old-done"], "success")
    _upload_row(app, user["id"], files["old-pending"], "pending")
    _upload_row(app, user["id"], files["recent-done"], "success")

    summary = cleanup_uploaded_files(7)

    assert sorted(p.name for p in folder.iterdir()) == ["old-pending", "recent-done"]
    assert summary | {"folder": None} == {
        "folder": None,
        "files_deleted": 2,
        "bytes_freed": 20,
        "kept_in_progress": 1,
        "uploads_marked": 1,
    }
    with app.app_context():
        marked = db.session.scalars(
            select(Upload.filename).where(Upload.file_deleted_at.is_not(None))
        ).all()
        assert marked == ["old-done"]
    assert cleanup_uploaded_files(7)["files_deleted"] == 0


def test_sessions_left_active_are_closed_with_a_note_and_a_change_stamp(app, client, register):
    account = register()
    user, headers = account.user, account.headers
    account = register()
    other, other_headers = account.user, account.headers
    data = xyz("accelerometer", 10)
    push(client, headers, "abandoned", data, notes="walk")
    push(client, headers, "live", xyz("gyroscope", 5))
    push(client, headers, "finished", xyz("gyroscope", 5), end_time="2025-11-13T03:00:00Z")
    push(client, other_headers, "abandoned", xyz("gyroscope", 5))
    abandoned = session_pk(app, user["id"], "abandoned")
    finished = session_pk(app, user["id"], "finished")
    for pk in (abandoned, finished, session_pk(app, other["id"], "abandoned")):
        age_session(app, pk, hours=25)
    age_session(app, session_pk(app, other["id"], "abandoned"), hours=23)
    watermark = client.post("/api/sync/pull", json={"include_data": False}, headers=headers).json[
        "server_timestamp"
    ]

    summary = cleanup_failed_sessions(24)

    assert summary["sessions_closed"] == 1 and summary["session_ids"] == ["abandoned"]
    closed = _session(app, abandoned)
    assert closed.is_active is False
    assert closed.end_time == datetime.fromtimestamp(data[-1]["timestamp"] / 1000, UTC)
    assert closed.notes.startswith("walk\n[Closed by the server on ")
    assert closed.notes.endswith("no activity for 24 h]")
    assert _session(app, finished).notes is None
    assert _session(app, session_pk(app, other["id"], "abandoned")).is_active is True
    assert _session(app, session_pk(app, user["id"], "live")).is_active is True
    pulled = client.post(
        "/api/sync/pull",
        json={"last_sync_time": watermark, "include_data": False},
        headers=headers,
    ).json
    assert [s["session_id"] for s in pulled["sessions"]] == ["abandoned"]
    assert pulled["sessions"][0]["is_active"] is False
    assert cleanup_failed_sessions(24)["sessions_closed"] == 0


def test_a_closed_session_without_samples_ends_at_its_last_push(app, client, register):
    account = register()
    user, headers = account.user, account.headers
    push(client, headers, "nothing", [], start_time="2025-11-01T00:00:00Z")
    pk = session_pk(app, user["id"], "nothing")
    age_session(app, pk, hours=30)
    last_push = _session(app, pk).last_synced_at
    cleanup_failed_sessions(24)
    session = _session(app, pk)
    assert session.is_active is False and session.end_time == last_push


def test_optimize_database_reports_table_statistics_and_keeps_data(app, client, register):
    headers = register().headers
    push(client, headers, "s", xyz("accelerometer", 50), end_time="2025-11-13T03:00:00Z")

    summary = optimize_database()

    with app.app_context():
        assert summary["backend"] == db.engine.dialect.name
    assert {"sensor_data", "recording_sessions", "session_analyses"} <= set(summary["tables"])
    if summary["backend"] == "postgresql":
        assert set(summary["vacuum_seconds"]) == set(summary["tables"])
        assert summary["tables"]["sensor_data"]["last_vacuum"] is not None
    else:
        assert summary["tables"]["sensor_data"]["live_rows"] == 50
    assert _samples_per_session(app) and optimize_database()["backend"] == summary["backend"]


def test_cleanup_report_counts_what_is_there_and_what_cleanup_would_remove(app, client, register):
    account = register()
    user, headers = account.user, account.headers
    _recorded(client, headers, "old", 40)
    _recorded(client, headers, "now", 0.5, end_time=None)
    age_session(app, session_pk(app, user["id"], "now"), hours=30)

    report = generate_cleanup_report()

    assert report["totals"] == {
        "users": 1,
        "sessions": 2,
        "active_sessions": 1,
        "uploaded_sessions": 1,
        "samples_recorded": 50,
        "sync_logs": 2,
        "analyses": 0,
        "uploads": 0,
    }
    assert report["activity_last_30_days"]["syncs"]["push"]["count"] == 2
    assert report["activity_last_30_days"]["sessions_created"] == 2
    assert report["pending_cleanup"] == {
        "sessions_with_samples_older_than_30_days": 1,
        "sync_logs_older_than_90_days": 0,
        "sessions_inactive_for_24_hours": 1,
    }
    assert report["disk"]["database_bytes"] > 0
    assert "sensor_data" in report["tables"]


@pytest.mark.postgres
def test_optimize_vacuums_every_application_table_on_postgres(app):
    summary = optimize_database()
    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables]
    assert sorted(summary["vacuum_seconds"]) == sorted(tables)
