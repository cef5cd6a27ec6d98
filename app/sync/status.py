"""The caller's sync overview: session counts, last push/pull, recent sync logs."""

from __future__ import annotations

from sqlalchemy import case, func, select

from app.extensions import db
from app.models import RecordingSession, SyncLog


def sync_log_json(log: SyncLog) -> dict:
    return {
        "id": log.id,
        "sync_type": log.sync_type,
        "status": log.status,
        "records_count": log.records_count,
        "duplicates_count": log.duplicates_count,
        "errors_count": log.errors_count,
        "error_message": log.error_message,
        "details": log.details,
        "started_at": log.started_at,
        "completed_at": log.completed_at,
    }


def summary(user_id: int) -> dict:
    mine = RecordingSession.user_id == user_id
    total, active, uploaded, records = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((RecordingSession.is_active, 1), else_=0)), 0),
            func.coalesce(func.sum(case((RecordingSession.is_uploaded, 1), else_=0)), 0),
            func.coalesce(func.sum(RecordingSession.data_count), 0),
        ).where(mine)
    ).one()
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
        "total_sessions": total,
        "active_sessions": int(active),
        "uploaded_sessions": int(uploaded),
        "total_records": int(records),
        "last_push_at": last.get("push"),
        "last_pull_at": last.get("pull"),
        "recent_syncs": [sync_log_json(log) for log in recent],
    }
