"""The caller's sessions: find, list, summarise, edit (LWW, stamped) and delete (tombstoned)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text

from app.analyses.scheduling import enqueue_after_close
from app.audio import files as audio_files
from app.audio.service import audio_recordings_json
from app.errors import NotFound
from app.extensions import db
from app.models import RecordingSession, SensorData, SensorType
from app.sessions import tombstones
from app.sessions.schemas import SessionListQuery, SessionPatch
from app.sync.pull import session_json
from app.sync.schemas import SESSION_ID_PATTERN
from app.sync.sessions import apply_changes, lock_session
from app.sync.watermark import begin_stamped_write

_SESSION_ID = re.compile(SESSION_ID_PATTERN)

# Count, first and last timestamp per sensor type: one walk of the session's dedup-index range.
_SUMMARY = text(
    """
    SELECT sensor_types.name, counts.n, counts.first_ts, counts.last_ts, sensor_types.id
    FROM (SELECT sensor_type_id, count(*) AS n, min(timestamp) AS first_ts,
                 max(timestamp) AS last_ts
          FROM sensor_data WHERE recording_session_id = :session
          GROUP BY sensor_type_id) AS counts
    JOIN sensor_types ON sensor_types.id = counts.sensor_type_id
    ORDER BY sensor_types.name
    """
)


def _not_found(session_id: str) -> NotFound:
    return NotFound(f"Session {session_id!r} not found", {"session_id": session_id})


def owned_session(user_id: int, session_id: str) -> RecordingSession:
    """The caller's session, or 404 (another user's session is indistinguishable from none)."""
    session = None
    if _SESSION_ID.match(session_id):
        session = db.session.scalar(
            select(RecordingSession).where(
                RecordingSession.user_id == user_id, RecordingSession.session_id == session_id
            )
        )
    if session is None:
        raise _not_found(session_id)
    return session


def list_sessions(user_id: int, query: SessionListQuery) -> dict[str, Any]:
    """One page of the caller's sessions matching the filters, newest first by default."""
    sessions = select(RecordingSession).where(RecordingSession.user_id == user_id)
    if query.start is not None:
        sessions = sessions.where(RecordingSession.start_time >= query.start)
    if query.end is not None:
        sessions = sessions.where(RecordingSession.start_time < query.end)
    if query.active is not None:
        sessions = sessions.where(RecordingSession.is_active.is_(query.active))
    if query.q:
        sessions = sessions.where(RecordingSession.notes.icontains(query.q, autoescape=True))
    if query.sensor_type is not None:
        has_type = (
            select(SensorData.id)
            .join(SensorType, SensorType.id == SensorData.sensor_type_id)
            .where(
                SensorData.recording_session_id == RecordingSession.id,
                SensorType.name == query.sensor_type,
            )
        )
        sessions = sessions.where(has_type.exists())
    total = db.session.scalar(select(func.count()).select_from(sessions.subquery()))
    if query.order == "asc":
        ordered = sessions.order_by(RecordingSession.start_time, RecordingSession.id)
    else:
        ordered = sessions.order_by(RecordingSession.start_time.desc(), RecordingSession.id.desc())
    offset = (query.page - 1) * query.page_size
    page = list(db.session.scalars(ordered.offset(offset).limit(query.page_size)))
    return {
        "sessions": [session_json(session) for session in page],
        "page": query.page,
        "page_size": query.page_size,
        "total": total,
        "has_more": offset + len(page) < total,
    }


def sensor_summary(session_pk: int) -> list[dict[str, Any]]:
    """`{sensor_type, count, first_timestamp, last_timestamp, type_id}` per sensor type."""
    rows = db.session.execute(_SUMMARY, {"session": session_pk})
    return [
        {
            "sensor_type": name,
            "count": count,
            "first_timestamp": first,
            "last_timestamp": last,
            "type_id": type_id,
        }
        for name, count, first, last, type_id in rows
    ]


def session_detail(user_id: int, session_id: str) -> dict[str, Any]:
    """Metadata plus what each sensor recorded."""
    session = owned_session(user_id, session_id)
    sensors = [
        {k: v for k, v in row.items() if k != "type_id"} for row in sensor_summary(session.id)
    ]
    return session_json(session) | {
        "sensors": sensors,
        "audio_recordings": audio_recordings_json(session),
    }


def update_session(user_id: int, session_id: str, patch: SessionPatch) -> dict[str, Any]:
    """Apply an edit under the push's LWW rules, stamped so other devices pull it."""
    stamp = begin_stamped_write()
    session = lock_session(user_id, session_id) if _SESSION_ID.match(session_id) else None
    if session is None:
        raise _not_found(session_id)
    was_active = session.is_active
    if apply_changes(session, patch.changes()):
        session.updated_at = stamp
    body, session_pk = session_json(session), session.id
    db.session.commit()
    if was_active and not body["is_active"]:
        enqueue_after_close(session_pk)  # as when a push closes it (after the commit)
    return body


def delete_session(user_id: int, session_id: str) -> datetime:
    """Delete the session (samples go by trigger) and leave a tombstone, in one transaction."""
    stamp = begin_stamped_write()
    session = lock_session(user_id, session_id) if _SESSION_ID.match(session_id) else None
    if session is None:
        raise _not_found(session_id)
    audio_paths = audio_files.paths_of_sessions([session.id])
    db.session.execute(delete(RecordingSession).where(RecordingSession.id == session.id))
    db.session.expunge(session)
    tombstones.add_tombstone(user_id, session_id, stamp)
    db.session.commit()
    audio_files.remove(audio_paths)  # after the commit; the orphan sweep catches a crash here
    return stamp
