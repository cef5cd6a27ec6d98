"""Starting and reading session analyses on behalf of a user (only their own sessions)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import select

from app.analyses import store
from app.analyses.jobs import DEFAULT_SENSITIVITY, KINDS
from app.analyses.schemas import AnalysisOut
from app.database import begin_write_transaction
from app.errors import ServiceUnavailable
from app.extensions import db
from app.models import SessionAnalysis
from app.recordings.ownership import owned_session
from app.validation import response_fields
from app.worker import dispatch
from app.worker.task_names import ANALYZE_SESSION

log = logging.getLogger(__name__)


def _same_parameters(run: store.Run, sensitivity: float) -> bool:
    # Runs the sweep started record no parameters: they used the default.
    return run.parameters.get("sensitivity", DEFAULT_SENSITIVITY) == sensitivity


def reusable_run(session_pk: int, stamp: datetime, sensitivity: float) -> store.Run | None:
    """A run of every kind with these parameters over the session's current data (change
    stamp `stamp`), finished or still queued; a finished one first. Failed runs do not count."""
    runs = [
        run
        for run in store.runs_since(session_pk, stamp)
        if set(KINDS) <= set(run.statuses)
        and store.FAILURE not in run.statuses.values()
        and _same_parameters(run, sensitivity)
    ]
    finished = [run for run in runs if run.state == "SUCCESS"]
    return next(iter(finished or runs), None)


def _started(session_id: str, task_id: str, state: str, reused: bool) -> dict[str, Any]:
    return {
        "task_id": task_id,
        "session_id": session_id,
        "kinds": KINDS,
        "state": state,
        "reused": reused,
    }


def request_analysis(user_id: int, session_id: str, sensitivity: float) -> dict[str, Any]:
    """The run that analyses the session as it is now with these parameters: an earlier one
    when its data and the parameters are unchanged since, else a new one.

    The session row stays locked from the look-up until the new run's rows are committed, so
    identical requests arriving together queue one run, not one each. A new run's rows are
    written before publishing (task ownership); 503 if the broker is down (the session is
    then left to the sweep).
    """
    begin_write_transaction()
    session = owned_session(user_id, session_id, lock="no_key_update")
    session_pk, stamp = session.id, session.updated_at
    earlier = reusable_run(session_pk, stamp, sensitivity)
    if earlier is not None:
        db.session.commit()
        return _started(session_id, earlier.task_id, earlier.state, reused=True)
    task_id = str(uuid4())
    parameters = {"sensitivity": sensitivity}
    store.add_pending(session_pk, KINDS, task_id, parameters, stamp)
    db.session.commit()
    try:
        dispatch.send(ANALYZE_SESSION, [session_pk], parameters, task_id=task_id)
    except Exception:
        log.warning("analysis of session %s not enqueued", session_pk, exc_info=True)
        # Leave no rows behind: the caller never learns this task id, and rows of any status
        # would make the sweep treat the session as analysed (it must catch it up instead).
        store.discard(task_id)
        raise ServiceUnavailable("The task queue is unavailable, retry later") from None
    return _started(session_id, task_id, "PENDING", reused=False)


def analysis_json(row: SessionAnalysis) -> dict[str, Any]:
    """One stored result as the API shows it: the fields `AnalysisOut` documents."""
    return response_fields(AnalysisOut, row)


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
