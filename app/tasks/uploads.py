"""Upload import tasks: the import itself, and a sweep that resumes stalled imports."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import shared_task
from flask import current_app
from sqlalchemy import select

from app.analyses.scheduling import enqueue_after_close
from app.clock import utcnow
from app.extensions import db
from app.housekeeping.compaction import compact_after_close
from app.models import RecordingSession, Upload
from app.models.upload import OPEN_STATES
from app.uploads.importer import ImportSettings, run_import
from app.worker import dispatch
from app.worker.policy import DB_RETRY
from app.worker.task_names import IMPORT_UPLOAD, RESUME_STALLED_UPLOADS

STALLED_AFTER = timedelta(minutes=15)  # a running import commits a chunk every few seconds


@shared_task(name=IMPORT_UPLOAD, bind=True, **DB_RETRY)
def import_upload(self, upload_id: int) -> dict[str, Any]:
    """Import (the rest of) an upload; hands over to a fresh task when its time is up."""
    outcome = run_import(upload_id, ImportSettings.from_config(current_app.config))
    if outcome["outcome"] == "continue":
        dispatch.try_send(IMPORT_UPLOAD, [upload_id])
    elif outcome["outcome"] == "done":
        session_pk = db.session.scalar(
            select(Upload.recording_session_id).where(Upload.id == upload_id)
        )
        closed = session_pk and not db.session.get(RecordingSession, session_pk).is_active
        db.session.rollback()
        if closed:
            enqueue_after_close(session_pk)
            compact_after_close(session_pk)
    return outcome


@shared_task(name=RESUME_STALLED_UPLOADS, **DB_RETRY)
def resume_stalled_uploads(limit: int = 100) -> dict[str, int]:
    """Publish imports that are pending or running but made no progress for a while."""
    cutoff = utcnow() - STALLED_AFTER
    ids = list(
        db.session.scalars(
            select(Upload.id)
            .where(Upload.state.in_(OPEN_STATES), Upload.updated_at < cutoff)
            .order_by(Upload.id)
            .limit(limit)
        )
    )
    db.session.rollback()
    sent = sum(dispatch.try_send(IMPORT_UPLOAD, [upload_id]) is not None for upload_id in ids)
    return {"found": len(ids), "enqueued": sent}
