"""Audio files on disk beyond one request: of deleted sessions, of expired data, orphans.

Rows go with their session (foreign key cascade); files are removed after the commit that
deleted their rows. A crash in between leaves orphans, which `delete_orphan_files` removes.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import delete, select

from app.audio import storage
from app.clock import utcnow
from app.database import begin_write_transaction
from app.extensions import db
from app.models import AudioRecording, RecordingSession

BATCH = 500


def _folder() -> Path:
    return Path(current_app.config["AUDIO_FOLDER"])


def paths_of_sessions(session_pks: Iterable[int]) -> list[Path]:
    """The files of these sessions' recordings (read before the sessions are deleted)."""
    query = select(AudioRecording.stored_path).where(
        AudioRecording.recording_session_id.in_(list(session_pks))
    )
    return [_folder() / path for path in db.session.scalars(query)]


def remove(paths: Iterable[Path]) -> int:
    return storage.remove(paths)


def _expired(cutoff) -> Any:
    """Recordings of uploaded, closed sessions that ended before `cutoff` (as for samples)."""
    return (
        select(AudioRecording.id, AudioRecording.stored_path)
        .join(RecordingSession, RecordingSession.id == AudioRecording.recording_session_id)
        .where(
            RecordingSession.is_uploaded.is_(True),
            RecordingSession.is_active.is_(False),
            RecordingSession.end_time < cutoff,
        )
        .order_by(AudioRecording.id)
        .limit(BATCH)
    )


def delete_old_recordings(days: int) -> dict[str, Any]:
    """Audio of uploaded, closed sessions that ended more than `days` ago; sessions stay."""
    cutoff = utcnow() - timedelta(days=days)
    deleted = files = 0
    while True:
        begin_write_transaction()
        rows = db.session.execute(_expired(cutoff)).all()
        if rows:
            ids = [row.id for row in rows]
            db.session.execute(delete(AudioRecording).where(AudioRecording.id.in_(ids)))
        db.session.commit()
        files += remove(_folder() / row.stored_path for row in rows)
        deleted += len(rows)
        if len(rows) < BATCH:
            return {"cutoff": cutoff.isoformat(), "recordings_deleted": deleted, "files": files}


def delete_orphan_files(min_age_seconds: int = 3600) -> dict[str, Any]:
    """Files under AUDIO_FOLDER no recording refers to, older than `min_age_seconds` (younger
    ones may belong to a request still storing its recording)."""
    root = _folder()
    known = set(db.session.scalars(select(AudioRecording.stored_path)))
    db.session.rollback()
    cutoff = time.time() - min_age_seconds
    orphans = [
        path
        for path in (sorted(root.rglob("*")) if root.is_dir() else [])
        if path.is_file()
        and path.relative_to(root).as_posix() not in known
        and path.stat().st_mtime < cutoff
    ]
    return {"folder": str(root), "orphans_deleted": remove(orphans)}
