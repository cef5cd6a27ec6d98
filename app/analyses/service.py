"""Starting and reading session analyses on behalf of a user (only their own sessions)."""

from __future__ import annotations

import logging
from typing import Any
from uuid import uuid4

from sqlalchemy import select

from app.analyses import store
from app.analyses.jobs import KINDS
from app.analyses.scheduling import ANALYZE_SESSION
from app.errors import NotFound, ServiceUnavailable
from app.extensions import db
from app.models import RecordingSession, SessionAnalysis
from app.tasks import dispatch

log = logging.getLogger(__name__)


def owned_session(user_id: int, session_id: str) -> RecordingSession:
    """The caller's session by its client id; 404 for unknown and for other users' sessions."""
    session = db.session.scalar(
        select(RecordingSession).where(
            RecordingSession.user_id == user_id, RecordingSession.session_id == session_id
        )
    )
    if session is None:
        raise NotFound(f"Session {session_id!r} not found")
    return session


def request_analysis(user_id: int, session_id: str, sensitivity: float) -> dict[str, Any]:
    """Record the pending results (task ownership), then publish; 503 if the broker is down
    (the session is then left to the sweep)."""
    session = owned_session(user_id, session_id)
    task_id = str(uuid4())
    parameters = {"sensitivity": sensitivity}
    session_pk = session.id
    store.create_pending(session_pk, KINDS, task_id, parameters, session.updated_at)
    try:
        dispatch.send(ANALYZE_SESSION, [session_pk], parameters, task_id=task_id)
    except Exception:
        log.warning("analysis of session %s not enqueued", session_pk, exc_info=True)
        # Leave no rows behind: the caller never learns this task id, and rows of any status
        # would make the sweep treat the session as analysed (it must catch it up instead).
        store.discard(task_id)
        raise ServiceUnavailable("The task queue is unavailable, retry later") from None
    return {"task_id": task_id, "session_id": session_id, "kinds": KINDS, "state": "PENDING"}


def analysis_json(row: SessionAnalysis) -> dict[str, Any]:
    """One stored result as the API shows it."""
    return {
        "kind": row.kind,
        "task_id": row.task_id,
        "status": row.status,
        "parameters": row.parameters,
        "result": row.result,
        "error": row.error,
        "attempts": row.attempts,
        "source_updated_at": row.source_updated_at,
        "created_at": row.created_at,
        "completed_at": row.completed_at,
    }


def latest_results(user_id: int, session_id: str) -> dict[str, Any]:
    """The newest successful result of each kind, plus the tasks still running."""
    session_pk = owned_session(user_id, session_id).id
    mine = SessionAnalysis.recording_session_id == session_pk
    latest = {}
    for kind in KINDS:
        row = db.session.scalar(
            select(SessionAnalysis)
            .where(mine, SessionAnalysis.kind == kind, SessionAnalysis.status == store.SUCCESS)
            .order_by(SessionAnalysis.id.desc())
            .limit(1)
        )
        if row is not None:
            latest[kind] = analysis_json(row)
    running = db.session.scalars(
        select(SessionAnalysis.task_id)
        .where(mine, SessionAnalysis.status.in_(store.OPEN_STATES))
        .distinct()
    ).all()
    return {"session_id": session_id, "analyses": latest, "in_progress": sorted(running)}
