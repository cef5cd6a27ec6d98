"""Finishing analysis tasks that were lost on the way (a broker that dropped an in-flight
message, e.g. the embedded one when a whole worker is killed).

A task whose rows stayed pending or started for `LOST_AFTER` is published again under the
SAME task id, so the caller polling `GET /api/tasks/<task_id>` still gets its result and the
rows are reused, not duplicated. After `GIVE_UP_AFTER` it is marked failed instead.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from app.analyses import store
from app.analyses.jobs import ANALYSIS, ANOMALIES, DEFAULT_SENSITIVITY, KINDS, METRICS
from app.clock import utcnow
from app.extensions import db
from app.models import SessionAnalysis
from app.worker import dispatch
from app.worker import task_names as names

LOST_AFTER = timedelta(hours=1)  # far above the time limit plus the longest countdown
GIVE_UP_AFTER = timedelta(days=1)
_SINGLE_KIND_TASKS = {
    ANALYSIS: names.ANALYZE_SENSOR_DATA,
    METRICS: names.CALCULATE_SESSION_METRICS,
    ANOMALIES: names.DETECT_ANOMALIES,
}


def _lost_task_ids(limit: int) -> list[str]:
    cutoff = utcnow() - LOST_AFTER
    ids = db.session.scalars(
        select(SessionAnalysis.task_id)
        .where(
            SessionAnalysis.task_id.is_not(None),
            SessionAnalysis.status.in_(store.OPEN_STATES),
            SessionAnalysis.updated_at < cutoff,
        )
        .distinct()
        .limit(limit)
    ).all()
    db.session.rollback()
    return list(ids)


def _message(rows: list[SessionAnalysis]) -> tuple[str, list, dict]:
    """The task that owns these rows: all kinds, or the one single-kind task."""
    session_pk = rows[0].recording_session_id
    sensitivity = rows[0].parameters.get("sensitivity", DEFAULT_SENSITIVITY)
    kinds = {row.kind for row in rows}
    if kinds == set(KINDS):
        return names.ANALYZE_SESSION, [session_pk], {"sensitivity": sensitivity}
    (kind,) = kinds
    args = [session_pk, sensitivity] if kind == ANOMALIES else [session_pk]
    return _SINGLE_KIND_TASKS[kind], args, {}


def _touch(task_id: str) -> None:
    db.session.execute(
        update(SessionAnalysis)
        .where(SessionAnalysis.task_id == task_id, SessionAnalysis.status.in_(store.OPEN_STATES))
        .values(updated_at=utcnow())
    )
    db.session.commit()


def resend_lost_tasks(limit: int = 100) -> dict[str, int]:
    """Publish lost analysis tasks again (same id), or fail the ones lost for too long."""
    resent = given_up = 0
    for task_id in _lost_task_ids(limit):
        rows = store.task_rows(task_id)
        if not rows:
            continue
        if min(row.created_at for row in rows) < utcnow() - GIVE_UP_AFTER:
            open_rows = [row.id for row in rows if row.status in store.OPEN_STATES]
            store.mark_failed(open_rows, "lost: the task never completed")
            given_up += 1
            continue
        name, args, kwargs = _message(rows)
        _touch(task_id)  # the next sweep waits LOST_AFTER again
        if dispatch.try_send(name, args, kwargs=kwargs, task_id=task_id) is None:
            break  # the broker is down; the next sweep tries again
        resent += 1
    return {"resent": resent, "given_up": given_up}
