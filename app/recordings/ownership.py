"""Finding the caller's session: the one ownership rule every endpoint and command follows."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.errors import NotFound
from app.extensions import db
from app.models import RecordingSession
from app.recordings.schemas import SESSION_ID_PATTERN

_SESSION_ID = re.compile(SESSION_ID_PATTERN)


def session_not_found(session_id: str) -> NotFound:
    return NotFound(f"Session {session_id!r} not found", {"session_id": session_id})


def owned_session(user_id: int, session_id: str, *, lock: bool = False) -> RecordingSession:
    """The caller's session by its client id, or 404: another user's session is
    indistinguishable from none.

    `lock` holds the row until commit (FOR NO KEY UPDATE on PostgreSQL, which still lets rows
    referencing it, such as analyses, be written; SQLite's write transaction serialises anyway).
    """
    if not _SESSION_ID.match(session_id):
        raise session_not_found(session_id)
    query = select(RecordingSession).where(
        RecordingSession.user_id == user_id, RecordingSession.session_id == session_id
    )
    if lock:
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    session = db.session.scalar(query)
    if session is None:
        raise session_not_found(session_id)
    return session
