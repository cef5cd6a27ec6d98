"""Dropping old samples and the questions retention asks of them (app/housekeeping/)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, func, or_, select

from app.database import delete_in_batches
from app.extensions import db
from app.models import RecordingSession, SampleChunk, SensorData


def has_samples() -> ColumnElement[bool]:
    """A condition on `RecordingSession`: it still holds samples (as rows or in chunks)."""
    return or_(
        exists().where(SensorData.recording_session_id == RecordingSession.id),
        exists().where(SampleChunk.recording_session_id == RecordingSession.id),
    )


def delete_session_samples(session_pk: int, batch: int) -> tuple[int, int]:
    """Every sample of one session, `batch` rows (or chunks) per transaction. Returns (samples,
    transactions)."""
    rows, transactions = delete_in_batches(
        SensorData, SensorData.recording_session_id == session_pk, batch
    )
    in_chunks = db.session.scalar(
        select(func.coalesce(func.sum(SampleChunk.sample_count), 0)).where(
            SampleChunk.recording_session_id == session_pk
        )
    )
    db.session.rollback()
    # A chunk holds tens of thousands of samples: a few per transaction keep it short.
    chunks, more = delete_in_batches(
        SampleChunk, SampleChunk.recording_session_id == session_pk, max(1, batch // 1000)
    )
    if not chunks:
        more = 0
    return rows + int(in_chunks), transactions + more


def last_timestamp(session_pk: int) -> int | None:
    """The newest sample's timestamp (ms), None without samples."""
    in_rows = db.session.scalar(
        select(func.max(SensorData.timestamp)).where(SensorData.recording_session_id == session_pk)
    )
    in_chunks = db.session.scalar(
        select(func.max(SampleChunk.last_timestamp)).where(
            SampleChunk.recording_session_id == session_pk
        )
    )
    found = [value for value in (in_rows, in_chunks) if value is not None]
    return max(found) if found else None
