"""Writing `session_analyses` rows: one row per (task id, kind), whatever the deliveries.

Each function commits, so the row states are visible to the API while the task runs, and
begins its own write transaction: on SQLite a read transaction that tries to start writing
while another process writes fails at once ("database is locked") instead of waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import OperationalError

from app.clock import utcnow
from app.database import begin_write_transaction, dialect_insert
from app.extensions import db
from app.models import SessionAnalysis

PENDING, STARTED, SUCCESS, FAILURE = "pending", "started", "success", "failure"
OPEN_STATES = (PENDING, STARTED)
# Failures worth a retry: the rows stay "started" and the task is retried (app/worker/policy.py).
TRANSIENT_ERRORS = (OperationalError,)


@dataclass(frozen=True)
class Run:
    """One task's rows: the status of each kind and the parameters it was asked for."""

    task_id: str
    statuses: dict[str, str]
    parameters: dict[str, Any]

    @property
    def state(self) -> str:
        return run_state(set(self.statuses.values()))


def run_state(statuses: set[str]) -> str:
    """A task's state as the task API reports it, from the statuses of its rows."""
    if FAILURE in statuses:
        return "FAILURE"
    if statuses == {SUCCESS}:
        return "SUCCESS"
    return "STARTED" if statuses & {STARTED, SUCCESS} else "PENDING"


def runs_since(session_pk: int, stamp: datetime, limit: int = 300) -> list[Run]:
    """The session's runs, newest first, that analyse its data as of `stamp` or later (the
    stamp a run records is the session's change stamp when the run was asked for or began)."""
    rows = db.session.execute(
        select(
            SessionAnalysis.task_id,
            SessionAnalysis.kind,
            SessionAnalysis.status,
            SessionAnalysis.parameters,
        )
        .where(
            SessionAnalysis.recording_session_id == session_pk,
            SessionAnalysis.source_updated_at >= stamp,
            SessionAnalysis.task_id.is_not(None),
        )
        .order_by(SessionAnalysis.id.desc())
        .limit(limit)
    ).all()
    runs: dict[str, Run] = {}
    for task_id, kind, status, parameters in rows:
        run = runs.setdefault(task_id, Run(task_id, {}, parameters or {}))
        run.statuses[kind] = status
    return list(runs.values())


def add_pending(
    session_pk: int,
    kinds: list[str],
    task_id: str,
    parameters: dict[str, Any],
    source_updated_at: datetime,
) -> None:
    """Add the pending rows of `task_id` to the caller's write transaction."""
    now = utcnow()
    db.session.add_all(
        SessionAnalysis(
            recording_session_id=session_pk,
            kind=kind,
            parameters=parameters,
            task_id=task_id,
            status=PENDING,
            attempts=0,
            source_updated_at=source_updated_at,
            created_at=now,
            updated_at=now,
        )
        for kind in kinds
    )


def create_pending(
    session_pk: int,
    kinds: list[str],
    task_id: str,
    parameters: dict[str, Any],
    source_updated_at: datetime,
) -> None:
    """Record, before publishing, that `task_id` will analyse the session (owner lookup)."""
    begin_write_transaction()
    add_pending(session_pk, kinds, task_id, parameters, source_updated_at)
    db.session.commit()


def mark_started(
    session_pk: int,
    kinds: list[str],
    task_id: str | None,
    parameters: dict[str, Any],
    source_updated_at: datetime,
) -> tuple[dict[str, int], int]:
    """Upsert the task's rows as started and count the attempt.

    Returns the row id per kind and the number of times this task id has started.
    """
    now = utcnow()
    begin_write_transaction()
    ids: dict[str, int] = {}
    attempts = 0
    for kind in kinds:
        values = {
            "recording_session_id": session_pk,
            "kind": kind,
            "parameters": parameters,
            "task_id": task_id,
            "status": STARTED,
            "attempts": 1,
            "source_updated_at": source_updated_at,
            "created_at": now,
            "updated_at": now,
        }
        statement = dialect_insert(SessionAnalysis).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=["task_id", "kind"],
            set_={
                "status": STARTED,
                "attempts": SessionAnalysis.attempts + 1,
                "source_updated_at": source_updated_at,
                "updated_at": now,
            },
        ).returning(SessionAnalysis.id, SessionAnalysis.attempts)
        row_id, row_attempts = db.session.execute(statement).one()
        ids[kind] = row_id
        attempts = max(attempts, row_attempts)
    db.session.commit()
    return ids, attempts


def mark_succeeded(row_ids: dict[str, int], results: dict[str, dict[str, Any]]) -> None:
    """Store each kind's result in its row."""
    now = utcnow()
    begin_write_transaction()
    for kind, row_id in row_ids.items():
        db.session.execute(
            update(SessionAnalysis)
            .where(SessionAnalysis.id == row_id)
            .values(
                status=SUCCESS, result=results[kind], error=None, updated_at=now, completed_at=now
            )
        )
    db.session.commit()


def mark_failed(row_ids: dict[str, int] | list[int], error: str) -> None:
    """Record that these rows will get no result (a fresh transaction: the old one failed)."""
    ids = list(row_ids.values()) if isinstance(row_ids, dict) else list(row_ids)
    now = utcnow()
    begin_write_transaction()
    db.session.execute(
        update(SessionAnalysis)
        .where(SessionAnalysis.id.in_(ids))
        .values(status=FAILURE, error=error[:2000], updated_at=now, completed_at=now)
    )
    db.session.commit()


def has_current_result(session_pk: int, stamp: datetime, kinds: list[str]) -> bool:
    """Whether every kind already has a successful result of the session as of `stamp`."""
    done = db.session.scalars(
        select(SessionAnalysis.kind)
        .where(
            SessionAnalysis.recording_session_id == session_pk,
            SessionAnalysis.kind.in_(kinds),
            SessionAnalysis.status == SUCCESS,
            SessionAnalysis.source_updated_at >= stamp,
        )
        .distinct()
    ).all()
    return set(kinds) <= set(done)


def finished_results(task_id: str, kinds: list[str]) -> dict[str, dict[str, Any]] | None:
    """The stored results of `task_id` when every kind of it succeeded, else None."""
    rows = task_rows(task_id)
    results = {row.kind: row.result for row in rows if row.status == SUCCESS}
    return results if rows and set(kinds) <= set(results) else None


def task_rows(task_id: str) -> list[SessionAnalysis]:
    """Every row a task owns."""
    return list(
        db.session.scalars(
            select(SessionAnalysis)
            .where(SessionAnalysis.task_id == task_id)
            .order_by(SessionAnalysis.kind)
        )
    )


def discard(task_id: str) -> None:
    """Drop the open rows of a task that will not run: never sent, or skipped — also when a
    retry is skipped after an earlier delivery had marked them started."""
    begin_write_transaction()
    db.session.execute(
        delete(SessionAnalysis).where(
            SessionAnalysis.task_id == task_id, SessionAnalysis.status.in_(OPEN_STATES)
        )
    )
    db.session.commit()
