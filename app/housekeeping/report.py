"""What the database and upload folder hold, recent activity, and what cleanup would remove."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, select, text

from app.clock import iso_utc, utcnow
from app.database import count_rows, is_postgres
from app.extensions import db
from app.housekeeping.database import table_statistics
from app.housekeeping.retention import expired_sessions_query, stale_condition
from app.models import RecordingSession, SessionAnalysis, SyncLog, Upload, User
from app.recordings.totals import session_totals


def _totals() -> dict[str, Any]:
    sessions = session_totals()
    return {
        "users": count_rows(select(User.id)),
        "sessions": sessions.sessions,
        "active_sessions": sessions.active,
        "uploaded_sessions": sessions.uploaded,
        "samples_recorded": sessions.samples_recorded,
        "sync_logs": count_rows(select(SyncLog.id)),
        "analyses": count_rows(select(SessionAnalysis.id)),
        "uploads": count_rows(select(Upload.id)),
    }


def _activity(days: int = 30) -> dict[str, Any]:
    since = utcnow() - timedelta(days=days)
    by_type = db.session.execute(
        select(
            SyncLog.sync_type,
            func.count(),
            func.coalesce(func.sum(SyncLog.records_count), 0),
            func.coalesce(func.sum(case((SyncLog.status != "success", 1), else_=0)), 0),
        )
        .where(SyncLog.started_at >= since)
        .group_by(SyncLog.sync_type)
    ).all()
    syncs = {
        kind: {"count": n, "records": int(r), "not_successful": int(f)} for kind, n, r, f in by_type
    }
    return {
        "days": days,
        "syncs": syncs,
        "sessions_created": count_rows(
            select(RecordingSession.id).where(RecordingSession.created_at >= since)
        ),
        "active_users": count_rows(
            select(SyncLog.user_id).where(SyncLog.started_at >= since).distinct()
        ),
        "uploads": count_rows(select(Upload.id).where(Upload.created_at >= since)),
        "analyses": count_rows(
            select(SessionAnalysis.id).where(SessionAnalysis.created_at >= since)
        ),
    }


def _folder(path: Path) -> dict[str, Any]:
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else []
    return {"path": str(path), "files": len(files), "bytes": sum(p.stat().st_size for p in files)}


def _disk(upload_folder: str) -> dict[str, Any]:
    if is_postgres():
        database_bytes = db.session.scalar(text("SELECT pg_database_size(current_database())"))
    else:
        name = db.engine.url.database or ""
        database_bytes = sum(
            Path(name + suffix).stat().st_size
            for suffix in ("", "-wal", "-shm")
            if name and Path(name + suffix).exists()
        )
    folder = Path(upload_folder)
    usage = shutil.disk_usage(folder if folder.exists() else Path.cwd())
    return {
        "database_bytes": database_bytes,
        "uploads": _folder(folder),
        "filesystem": {"total_bytes": usage.total, "free_bytes": usage.free},
    }


def _pending_cleanup() -> dict[str, int]:
    now = utcnow()
    return {
        "sessions_with_samples_older_than_30_days": count_rows(
            expired_sessions_query(now - timedelta(days=30))
        ),
        "sync_logs_older_than_90_days": count_rows(
            select(SyncLog.id).where(SyncLog.started_at < now - timedelta(days=90))
        ),
        "sessions_inactive_for_24_hours": count_rows(
            select(RecordingSession.id).where(*stale_condition(now - timedelta(hours=24)))
        ),
    }


def report(upload_folder: str) -> dict[str, Any]:
    """Totals, table and disk sizes, last-30-days activity and pending cleanup (JSON-able)."""
    db.session.rollback()
    body = {
        "generated_at": iso_utc(utcnow()),
        "backend": db.engine.dialect.name,
        "totals": _totals(),
        "activity_last_30_days": _activity(),
        "pending_cleanup": _pending_cleanup(),
        "disk": _disk(upload_folder),
    }
    db.session.rollback()
    return body | {"tables": table_statistics()}
