"""Finding, creating and updating a user's recording session under last-write-wins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.database import dialect_insert
from app.errors import ValidationFailed
from app.extensions import db
from app.models import RecordingSession
from app.recordings.ownership import find_session
from app.recordings.schemas import SessionIn


class NewSessionNeedsStart(ValidationFailed):
    """A first push named a session it gave no start time for."""


_NULLABLE = {"end_time", "notes", "sample_rate", "enabled_sensors"}


def lock_session(user_id: int, session_id: str) -> RecordingSession | None:
    """The session row, locked until commit (PostgreSQL; SQLite's write lock covers it)."""
    return find_session(user_id, session_id, lock="update")


def lock_or_create_session(
    user_id: int, incoming: SessionIn, stamp: datetime
) -> tuple[RecordingSession, bool]:
    """Lock the session, creating it on first push. Returns (session, created).

    Two first pushes racing on PostgreSQL: one inserts, the other's `ON CONFLICT DO NOTHING`
    yields nothing and it waits on the row lock, then updates like any later push.
    """
    session = lock_session(user_id, incoming.session_id)
    if session is not None:
        return session, False
    if incoming.start_time is None:
        raise NewSessionNeedsStart(
            "session.start_time is required when a session is pushed for the first time",
            [{"field": "session.start_time", "message": "Field required for a new session"}],
        )
    if _insert_session(user_id, incoming, stamp):
        return lock_session(user_id, incoming.session_id), True
    return lock_session(user_id, incoming.session_id), False


def lock_or_create_provisional(
    user_id: int, session_id: str, start: datetime, stamp: datetime
) -> tuple[RecordingSession, bool]:
    """The session, locked; created *provisionally* at `start` when data (samples, a file)
    came before the session's own upload, and moved back to an earlier `start` while still
    provisional. The session's own upload sets every field and clears the flag."""
    incoming = SessionIn(session_id=session_id, start_time=start, is_active=True)
    session, created = lock_or_create_session(user_id, incoming, stamp)
    if created:
        session.provisional = True
    elif session.provisional and start < session.start_time:
        session.start_time, session.updated_at = start, stamp
    return session, created


def _insert_session(user_id: int, incoming: SessionIn, stamp: datetime) -> bool:
    end_time = incoming.end_time
    is_active = incoming.is_active if incoming.is_active is not None else end_time is None
    values = {
        "user_id": user_id,
        "session_id": incoming.session_id,
        "start_time": incoming.start_time,
        "end_time": end_time,
        "is_active": is_active,
        "enabled_sensors": incoming.enabled_sensors or [],
        "sample_rate": incoming.sample_rate,
        "notes": incoming.notes,
        "is_uploaded": bool(incoming.is_uploaded),
        "data_count": 0,
        "created_at": stamp,
        "updated_at": stamp,
        "last_synced_at": stamp,
    }
    statement = (
        dialect_insert(RecordingSession)
        .values(values)
        .on_conflict_do_nothing(index_elements=["user_id", "session_id"])
        .returning(RecordingSession.id)
    )
    return db.session.execute(statement).scalar_one_or_none() is not None


def apply_changes(session: RecordingSession, changes: dict[str, Any]) -> bool:
    """Overwrite the fields the client sent (last write wins). Returns whether any changed."""
    changes = {k: v for k, v in changes.items() if v is not None or k in _NULLABLE}
    if "end_time" in changes and "is_active" not in changes:
        changes = {**changes, "is_active": changes["end_time"] is None}
    if "enabled_sensors" in changes and changes["enabled_sensors"] is None:
        changes = {**changes, "enabled_sensors": []}
    changed = False
    for field, value in changes.items():
        if getattr(session, field) != value:
            setattr(session, field, value)
            changed = True
    if session.end_time is not None and session.end_time < session.start_time:
        raise ValidationFailed("session.end_time must not be before start_time")
    return changed
