"""Small read queries only the dashboard needs (the rest comes from the API's services)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models import RecordingSession, SyncLog


def user_sensor_types(user_id: int) -> list[str]:
    """Sensor types the user's sessions declared, for the list filter."""
    declared = db.session.scalars(
        select(RecordingSession.enabled_sensors).where(RecordingSession.user_id == user_id)
    )
    return sorted({name for names in declared for name in (names or []) if isinstance(name, str)})


def first_session_day(user_id: int) -> date | None:
    first = db.session.scalar(
        select(func.min(RecordingSession.start_time)).where(RecordingSession.user_id == user_id)
    )
    if isinstance(first, str):  # SQLite aggregates return the stored text
        first = date.fromisoformat(first[:10])
    return first.date() if hasattr(first, "date") else first


def sync_log_page(
    user_id: int, page: int, size: int, sync_type: str | None
) -> tuple[list[dict[str, Any]], bool]:
    """The user's pushes and pulls, newest first, with the client id of their session."""
    query = (
        select(SyncLog, RecordingSession.session_id)
        .outerjoin(RecordingSession, RecordingSession.id == SyncLog.recording_session_id)
        .where(SyncLog.user_id == user_id)
        .order_by(SyncLog.id.desc())
        .offset((page - 1) * size)
        .limit(size + 1)
    )
    if sync_type:
        query = query.where(SyncLog.sync_type == sync_type)
    rows = db.session.execute(query).all()
    entries = [
        {
            "started_at": log.started_at,
            "sync_type": log.sync_type,
            "status": log.status,
            "session_id": session_id,
            "records": log.records_count,
            "duplicates": log.duplicates_count,
            "errors": log.errors_count,
            "error_message": log.error_message,
            "duration_ms": _duration_ms(log),
        }
        for log, session_id in rows[:size]
    ]
    return entries, len(rows) > size


def _duration_ms(log: SyncLog) -> int | None:
    if log.completed_at is None or log.started_at is None:
        return None
    return round((log.completed_at - log.started_at).total_seconds() * 1000)
