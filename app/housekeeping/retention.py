"""Deleting old rows and closing abandoned sessions, in bounded transactions.

Every function is safe to run twice (a second run finds nothing left to do) and deletes in
batches of at most `BATCH` rows per transaction, so no statement holds locks for long.

`recording_sessions.data_count` keeps meaning "samples received" when old samples are
deleted: session metadata stays (docs/data-model.md#retention), per-user statistics of past
periods stay right,
and the stored analyses keep summarising the deleted samples. The sessions are not stamped
as changed: a phone has nothing to apply from the server dropping raw data it already has.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select

from app.clock import iso_utc, utcnow
from app.database import delete_in_batches, is_postgres
from app.extensions import db
from app.models import RecordingSession, SyncLog
from app.recordings.samples.retention import delete_session_samples, has_samples, last_timestamp
from app.recordings.watermark import begin_stamped_write

BATCH = 10_000
SESSION_BATCH = 500


def expired_sessions_query(cutoff: datetime) -> Select:
    """Uploaded, closed sessions that ended before `cutoff` and still hold samples."""
    return select(RecordingSession.id).where(
        RecordingSession.is_uploaded.is_(True),
        RecordingSession.is_active.is_(False),
        RecordingSession.end_time < cutoff,
        has_samples(),
    )


def delete_old_sensor_data(days: int) -> dict[str, Any]:
    """Samples of uploaded, closed sessions that ended more than `days` ago."""
    cutoff = utcnow() - timedelta(days=days)
    session_pks = list(db.session.scalars(expired_sessions_query(cutoff).order_by("id")))
    db.session.rollback()
    samples = batches = 0
    for pk in session_pks:
        deleted, used = delete_session_samples(pk, BATCH)
        samples, batches = samples + deleted, batches + used
    return {
        "cutoff": iso_utc(cutoff),
        "sessions": len(session_pks),
        "samples_deleted": samples,
        "transactions": batches,
    }


def delete_old_sync_logs(days: int) -> dict[str, Any]:
    """Sync logs started more than `days` ago."""
    cutoff = utcnow() - timedelta(days=days)
    deleted, batches = delete_in_batches(SyncLog, SyncLog.started_at < cutoff, BATCH)
    return {"cutoff": iso_utc(cutoff), "sync_logs_deleted": deleted, "transactions": batches}


def stale_condition(cutoff: datetime) -> tuple[ColumnElement[bool], ...]:
    """Active sessions with neither a change nor a push since `cutoff`."""
    return (
        RecordingSession.is_active.is_(True),
        RecordingSession.updated_at < cutoff,
        or_(RecordingSession.last_synced_at.is_(None), RecordingSession.last_synced_at < cutoff),
    )


def _end_time(session: RecordingSession) -> datetime:
    """The last sample's time, else the last push; never before the start."""
    last_ms = last_timestamp(session.id)
    candidates = [session.start_time, session.last_synced_at or session.start_time]
    if last_ms is not None:
        candidates = [session.start_time, datetime.fromtimestamp(last_ms / 1000, tz=UTC)]
    return max(candidates)


def close_stale_sessions(hours: int) -> dict[str, Any]:
    """Close sessions left active without activity for `hours`, with a note and a change
    stamp so the owner's other devices pull the change."""
    now = utcnow()
    cutoff = now - timedelta(hours=hours)
    note = f"[Closed by the server on {iso_utc(now)}: no activity for {hours} h]"
    closed: list[str] = []
    while True:
        stamp = begin_stamped_write()
        query = select(RecordingSession).where(*stale_condition(cutoff)).limit(SESSION_BATCH)
        # Sessions a push holds right now are active, not abandoned: skip them.
        query = query.with_for_update(skip_locked=True) if is_postgres() else query
        sessions = db.session.scalars(query.order_by(RecordingSession.id)).all()
        if not sessions:
            db.session.rollback()
            break
        for session in sessions:
            session.end_time = session.end_time or _end_time(session)
            session.is_active = False
            session.notes = f"{session.notes}\n{note}" if session.notes else note
            session.updated_at = stamp
            closed.append(session.session_id)
        db.session.commit()
    return {"cutoff": iso_utc(cutoff), "sessions_closed": len(closed), "session_ids": closed[:100]}
