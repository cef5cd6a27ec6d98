"""Helpers for the direct sync-rule tests: push without HTTP, read back what is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

# App modules (they move in the restructure; only this block names them).
from app.extensions import db
from app.models import RecordingSession, SensorData, SensorType
from app.recordings.batches import StoredBatch, dedupe_last_wins, store_batch
from app.recordings.sample_keys import KeyLimits
from app.recordings.schemas import SessionIn
from app.recordings.watermark import begin_stamped_write
from app.sync.push import PushLimits, push
from app.sync.schemas import PushRequest

KEY_CAP = KeyLimits().per_sensor  # the default cap on distinct keys per session and type

LIMITS = PushLimits(max_samples=50_000, max_error_details=100)
COUNT_KEYS = ("total_records", "inserted", "updated", "duplicates", "errors")


def push_direct(
    user_id: int, body: dict[str, Any], *, limits: PushLimits = LIMITS
) -> dict[str, Any]:
    """`push()` as the route calls it, with the request already parsed; commits."""
    return push(user_id, PushRequest.model_validate(body), limits)


def push_session(user_id: int, data: list | None = None, **session: Any) -> dict[str, Any]:
    """Push session "s1" with exactly the given fields (no default start_time)."""
    return push_direct(
        user_id, {"session": {"session_id": "s1", **session}, "sensor_data": data or []}
    )


def store_session(
    user_id: int, data: list | None = None, **session: Any
) -> tuple[StoredBatch, datetime]:
    """`store_batch` for session "s1" in its own committed transaction, as push and import run
    it; returns what it stored and the change stamp it used."""
    stamp = begin_stamped_write()
    stored = store_batch(user_id, SessionIn(session_id="s1", **session), data or [], stamp, KEY_CAP)
    db.session.commit()
    return stored, stamp


def counts(response: dict[str, Any]) -> dict[str, int]:
    return {key: response[key] for key in COUNT_KEYS}


def session_row(user_id: int, session_id: str) -> RecordingSession:
    """The stored session, read fresh from the database."""
    db.session.rollback()
    return db.session.scalar(
        select(RecordingSession).where(
            RecordingSession.user_id == user_id, RecordingSession.session_id == session_id
        )
    )


@dataclass(frozen=True)
class StoredSample:
    """A sample row as read at one moment (plain values, not a live ORM object)."""

    id: int
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def stored_rows(session_pk: int) -> dict[tuple[str, int], StoredSample]:
    """Every sample row of a session, keyed like the dedup key (sensor_type, timestamp)."""
    rows = db.session.execute(
        select(
            SensorType.name,
            SensorData.timestamp,
            SensorData.id,
            SensorData.data,
            SensorData.created_at,
            SensorData.updated_at,
        )
        .join(SensorType, SensorType.id == SensorData.sensor_type_id)
        .where(SensorData.recording_session_id == session_pk)
    ).all()
    return {(name, ts): StoredSample(*rest) for name, ts, *rest in rows}


def stored_data(session_pk: int) -> dict[tuple[str, int], dict[str, Any]]:
    return {key: row.data for key, row in stored_rows(session_pk).items()}


def unique_samples(batch: list[dict]) -> list[dict]:
    """The batch as push stores it: one sample per key, the last one winning, in key order."""
    return [sample for _, sample in dedupe_last_wins(list(enumerate(batch)))]
