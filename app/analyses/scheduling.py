"""When analyses run by themselves: after a push closes a session, and a periodic sweep.

The push hook publishes with a delay (`ANALYSIS_DELAY_SECONDS`) and the task skips sessions
that are up to date or still receiving batches, so a session pushed in many batches is
analysed about once, after its last batch. The sweep finds closed sessions whose current
state was never analysed (the broker was down when it closed) and enqueues them; tasks lost
on the way are published again by app/analyses/recovery.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid4

from flask import current_app
from sqlalchemy import exists, select

from app.analyses import store
from app.analyses.jobs import KINDS
from app.analyses.recovery import resend_lost_tasks
from app.clock import utcnow
from app.extensions import db
from app.models import RecordingSession, SessionAnalysis
from app.worker import dispatch
from app.worker.task_names import ANALYZE_SESSION

SWEEP_WINDOW = timedelta(days=7)  # older sessions are left alone (their data may be purged)


def enqueue_after_close(session_pk: int) -> str | None:
    """Publish the analysis of a session a push just closed; never raises (push must succeed)."""
    config = current_app.config
    if not config["ANALYSIS_ON_CLOSE"]:
        return None
    return dispatch.try_send(
        ANALYZE_SESSION,
        [session_pk],
        kwargs={"only_if_stale": True},
        countdown=config["ANALYSIS_DELAY_SECONDS"],
    )


def sessions_to_sweep(limit: int = 100) -> list[tuple[int, datetime]]:
    """Closed sessions whose current change stamp has no analysis, finished or in flight
    (in-flight tasks that got lost are recovery's business)."""
    now = utcnow()
    grace = timedelta(seconds=current_app.config["ANALYSIS_SWEEP_GRACE_SECONDS"])
    covered = exists().where(
        SessionAnalysis.recording_session_id == RecordingSession.id,
        SessionAnalysis.source_updated_at >= RecordingSession.updated_at,
    )
    query = (
        select(RecordingSession.id, RecordingSession.updated_at)
        .where(
            RecordingSession.is_active.is_(False),
            RecordingSession.updated_at < now - grace,
            RecordingSession.updated_at >= now - SWEEP_WINDOW,
            ~covered,
        )
        .order_by(RecordingSession.updated_at)
        .limit(limit)
    )
    found = [(pk, stamp) for pk, stamp in db.session.execute(query)]
    db.session.rollback()
    return found


def sweep(limit: int = 100) -> dict[str, int]:
    """Enqueue the analysis of closed sessions that never got one; resend lost tasks.

    Pending rows are written before publishing, so the next sweep sees the session as
    covered even while its task still waits in the queue.
    """
    found = sessions_to_sweep(limit)
    enqueued = 0
    for pk, stamp in found:
        task_id = str(uuid4())
        store.create_pending(pk, KINDS, task_id, {}, stamp)
        options = {"kwargs": {"only_if_stale": True}, "task_id": task_id}
        if dispatch.try_send(ANALYZE_SESSION, [pk], **options) is None:
            store.discard(task_id)
            break  # the broker is down; the next sweep tries again
        enqueued += 1
    return {"found": len(found), "enqueued": enqueued, **resend_lost_tasks(limit)}
