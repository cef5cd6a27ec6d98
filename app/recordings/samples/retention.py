"""Dropping old samples and the questions retention asks of them (app/housekeeping/)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, func, select

from app.database import delete_in_batches
from app.extensions import db
from app.models import RecordingSession, SensorData


def has_samples() -> ColumnElement[bool]:
    """A condition on `RecordingSession`: it still holds samples."""
    return exists().where(SensorData.recording_session_id == RecordingSession.id)


def delete_session_samples(session_pk: int, batch: int) -> tuple[int, int]:
    """Every sample of one session, `batch` rows per transaction. Returns (rows, transactions)."""
    return delete_in_batches(SensorData, SensorData.recording_session_id == session_pk, batch)


def last_timestamp(session_pk: int) -> int | None:
    """The newest sample's timestamp (ms), None without samples."""
    return db.session.scalar(
        select(func.max(SensorData.timestamp)).where(SensorData.recording_session_id == session_pk)
    )
