"""How many sessions there are, how many are active or uploaded, and the samples they recorded.

One query for the caller's sync status and for the whole database's cleanup report.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, func, select

from app.extensions import db
from app.models import RecordingSession


@dataclass(frozen=True)
class SessionTotals:
    sessions: int
    active: int
    uploaded: int
    samples_recorded: int  # the sum of `data_count`: samples ever received, not those kept


def session_totals(*where: ColumnElement[bool]) -> SessionTotals:
    """Totals over the sessions matching `where` (all sessions without it)."""
    s = RecordingSession
    query = select(
        func.count(),
        func.coalesce(func.sum(case((s.is_active, 1), else_=0)), 0),
        func.coalesce(func.sum(case((s.is_uploaded, 1), else_=0)), 0),
        func.coalesce(func.sum(s.data_count), 0),
    ).where(*where)
    sessions, active, uploaded, recorded = db.session.execute(query).one()
    return SessionTotals(int(sessions), int(active), int(uploaded), int(recorded))
