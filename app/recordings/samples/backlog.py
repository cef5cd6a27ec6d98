"""How far compaction is behind: closed sessions that still hold rows, and since when.

A closed session should be compacted shortly after it closes (a delayed task, or the periodic
sweep if that task was lost); one still holding rows long after its last change means the
worker, the broker or the sweep is not keeping up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, exists, func, select

from app.extensions import db
from app.models import RecordingSession, SensorData


@dataclass(frozen=True)
class Backlog:
    sessions: int  # closed sessions that still hold rows
    oldest_change: datetime | None  # the earliest last change among them


def compaction_backlog() -> Backlog:
    """One aggregate over closed sessions, each probed on the dedup key's leading column."""
    # The later of its last edit and its last push: a late push to a closed session restarts
    # its wait for compaction.
    last_change = case(
        (
            RecordingSession.last_synced_at > RecordingSession.updated_at,
            RecordingSession.last_synced_at,
        ),
        else_=RecordingSession.updated_at,
    )
    query = select(func.count(), func.min(last_change)).where(
        RecordingSession.is_active.is_(False),
        exists().where(SensorData.recording_session_id == RecordingSession.id),
    )
    sessions, oldest = db.session.execute(query).one()
    return Backlog(int(sessions), oldest)
