"""The caller's sync overview: session counts, last push/pull, recent sync logs."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import RecordingSession, SyncLog
from app.recordings.totals import session_totals
from app.sync.schemas import SyncLogOut
from app.validation import response_fields


def sync_log_json(log: SyncLog) -> dict:
    """A sync log as the status endpoint shows it: the fields `SyncLogOut` documents."""
    return response_fields(SyncLogOut, log)


def summary(user_id: int) -> dict:
    totals = session_totals(RecordingSession.user_id == user_id)
    last = dict(
        db.session.execute(
            select(SyncLog.sync_type, func.max(SyncLog.completed_at))
            .where(SyncLog.user_id == user_id)
            .group_by(SyncLog.sync_type)
        ).all()
    )
    recent = db.session.scalars(
        select(SyncLog).where(SyncLog.user_id == user_id).order_by(SyncLog.id.desc()).limit(10)
    )
    return {
        "total_sessions": totals.sessions,
        "active_sessions": totals.active,
        "uploaded_sessions": totals.uploaded,
        "total_records": totals.samples_recorded,
        "last_push_at": last.get("push"),
        "last_pull_at": last.get("pull"),
        "recent_syncs": [sync_log_json(log) for log in recent],
    }
