"""Which sessions a caller may see: only their own, and another user's is indistinguishable
from one that does not exist (the same 404 body)."""

from __future__ import annotations

import re
from typing import Literal

from sqlalchemy import select

from app.errors import NotFound
from app.extensions import db
from app.models import RecordingSession
from app.recordings.schemas import SESSION_ID_PATTERN

_SESSION_ID = re.compile(SESSION_ID_PATTERN)
# How a found row is locked until commit (PostgreSQL; SQLite's write transaction serialises):
# "update" before changing or deleting it; "no_key_update" (FOR NO KEY UPDATE) still lets rows
# referencing it, such as analyses, be written meanwhile.
Lock = Literal["update", "no_key_update"]
_LOCKS = {"update": {}, "no_key_update": {"key_share": True}}


def find_session(
    user_id: int, session_id: str, *, lock: Lock | None = None
) -> RecordingSession | None:
    """The user's session by its client id, or None (also for text no session id can be)."""
    if not _SESSION_ID.match(session_id):
        return None
    query = select(RecordingSession).where(
        RecordingSession.user_id == user_id, RecordingSession.session_id == session_id
    )
    if lock is not None:
        query = query.with_for_update(**_LOCKS[lock]).execution_options(populate_existing=True)
    return db.session.scalar(query)


def session_not_found(session_id: str) -> NotFound:
    return NotFound(f"Session {session_id!r} not found", {"session_id": session_id})


def owned_session(user_id: int, session_id: str, *, lock: Lock | None = None) -> RecordingSession:
    """The caller's session, or 404."""
    session = find_session(user_id, session_id, lock=lock)
    if session is None:
        raise session_not_found(session_id)
    return session
