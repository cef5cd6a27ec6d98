"""What the analyses read: a session's facts, its samples as a frame and a user's sessions.

The samples come from the sample store (app/recordings/samples/frames.py), which reads them
with set-based queries; this module only names what an analysis needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import select

from app.analyses.compute.frame import RESERVED_COLUMNS
from app.extensions import db
from app.models import RecordingSession
from app.recordings.samples import frames


@dataclass(frozen=True)
class SessionInfo:
    """What an analysis needs to know about a session besides its samples."""

    pk: int
    user_id: int
    session_id: str
    start_ms: int
    end_ms: int | None
    sample_rate: float | None
    is_active: bool
    updated_at: datetime


def _ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def session_info(session_pk: int) -> SessionInfo | None:
    """The session's facts (one row), or None when it is gone."""
    row = db.session.execute(
        select(
            RecordingSession.id,
            RecordingSession.user_id,
            RecordingSession.session_id,
            RecordingSession.start_time,
            RecordingSession.end_time,
            RecordingSession.sample_rate,
            RecordingSession.is_active,
            RecordingSession.updated_at,
        ).where(RecordingSession.id == session_pk)
    ).one_or_none()
    if row is None:
        return None
    return SessionInfo(
        pk=row.id,
        user_id=row.user_id,
        session_id=row.session_id,
        start_ms=_ms(row.start_time),
        end_ms=_ms(row.end_time),
        sample_rate=row.sample_rate,
        is_active=row.is_active,
        updated_at=row.updated_at,
    )


def numeric_fields(session_pk: int, type_ids: list[int]) -> list[str]:
    """The numeric data fields an analysis reads (never a name of the frame's own columns)."""
    return frames.numeric_fields(session_pk, type_ids, RESERVED_COLUMNS)


def load_samples(session_pk: int) -> pd.DataFrame:
    """Every sample of one session as the analysis frame (one query over the samples)."""
    return frames.load_frame(session_pk, RESERVED_COLUMNS)


def load_user_sessions(user_id: int, start: datetime, end: datetime) -> pd.DataFrame:
    """The user's sessions that started in [start, end), as a small frame."""
    rows = db.session.execute(
        select(
            RecordingSession.start_time,
            RecordingSession.end_time,
            RecordingSession.data_count,
            RecordingSession.enabled_sensors,
        ).where(
            RecordingSession.user_id == user_id,
            RecordingSession.start_time >= start,
            RecordingSession.start_time < end,
        )
    ).all()
    return pd.DataFrame(rows, columns=["start_time", "end_time", "data_count", "enabled_sensors"])


def load_sensor_counts(user_id: int, start: datetime, end: datetime) -> pd.DataFrame:
    """Samples stored per sensor type over those sessions (one aggregate query)."""
    rows = frames.sensor_counts(user_id, start, end)
    return pd.DataFrame(rows, columns=["sensor_type", "count"])
