"""GET /api/tasks/<task_id>: a task's state and result, answered only to the task's owner.

Ownership and state come from our own tables (`session_analyses`, `uploads`), which outlive
the Celery result backend and need no round trip to it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.analyses import store
from app.analyses.service import analysis_json
from app.errors import NotFound
from app.extensions import db
from app.models import RecordingSession, SessionAnalysis, Upload
from app.uploads.states import upload_json

_UPLOAD_STATES = {
    "pending": "PENDING",
    "running": "STARTED",
    "success": "SUCCESS",
    "failed": "FAILURE",
}


def task_status(user_id: int, task_id: str) -> dict[str, Any]:
    """State and results of the caller's analysis or upload task; 404 for anyone else."""
    rows = db.session.execute(
        select(SessionAnalysis, RecordingSession.session_id)
        .join(RecordingSession, RecordingSession.id == SessionAnalysis.recording_session_id)
        .where(SessionAnalysis.task_id == task_id, RecordingSession.user_id == user_id)
        .order_by(SessionAnalysis.kind)
    ).all()
    if rows:
        analyses = [row for row, _ in rows]
        return {
            "task_id": task_id,
            "type": "session_analysis",
            "state": store.run_state({row.status for row in analyses}),
            "session_id": rows[0][1],
            "results": {row.kind: analysis_json(row) for row in analyses},
        }
    upload = db.session.scalar(
        select(Upload).where(Upload.task_id == task_id, Upload.user_id == user_id)
    )
    if upload is not None:
        return {
            "task_id": task_id,
            "type": "upload",
            "state": _UPLOAD_STATES.get(upload.state, "PENDING"),
            "upload": upload_json(upload),
        }
    raise NotFound(f"Task {task_id!r} not found")
