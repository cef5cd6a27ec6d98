"""The caller's sessions: find, list, summarise, edit (LWW, stamped) and delete (tombstoned)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from app.analyses.scheduling import enqueue_after_close
from app.audio import files as audio_files
from app.audio.service import audio_recordings_json
from app.database import count_rows
from app.extensions import db
from app.housekeeping.compaction import compact_after_close
from app.models import RecordingSession
from app.recordings import tombstones
from app.recordings.last_write_wins import apply_changes
from app.recordings.ownership import owned_session
from app.recordings.samples.footprint import session_footprint
from app.recordings.samples.summary import has_samples_of_type, sensor_summary
from app.recordings.schemas import session_json
from app.recordings.watermark import begin_stamped_write
from app.sessions.schemas import SessionListQuery, SessionPatch


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
        sessions = sessions.where(has_samples_of_type(query.sensor_type))
    total = count_rows(sessions)
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


def session_detail(user_id: int, session_id: str) -> dict[str, Any]:
    """Metadata plus what each sensor recorded and what it takes on disk."""
    session = owned_session(user_id, session_id)
    summary = sensor_summary(session.id)
    sensors = [{k: v for k, v in row.items() if k != "type_id"} for row in summary]
    counts = {row["type_id"]: row["count"] for row in summary}  # spares counting rows again
    return session_json(session) | {
        "sensors": sensors,
        "audio_recordings": audio_recordings_json(session),
        "storage": session_footprint(session.id, counts).as_json(),
    }


def update_session(user_id: int, session_id: str, patch: SessionPatch) -> dict[str, Any]:
    """Apply an edit under the push's LWW rules, stamped so other devices pull it."""
    stamp = begin_stamped_write()
    session = owned_session(user_id, session_id, lock="update")
    was_active = session.is_active
    if apply_changes(session, patch.changes()):
        session.updated_at = stamp
    body, session_pk = session_json(session), session.id
    db.session.commit()
    if was_active and not body["is_active"]:
        enqueue_after_close(session_pk)  # as when a push closes it (after the commit)
        compact_after_close(session_pk)
    return body


def delete_session(user_id: int, session_id: str) -> datetime:
    """Delete the session (samples go by trigger) and leave a tombstone, in one transaction."""
    stamp = begin_stamped_write()
    session = owned_session(user_id, session_id, lock="update")
    audio_paths = audio_files.paths_of_sessions([session.id])
    db.session.execute(delete(RecordingSession).where(RecordingSession.id == session.id))
    db.session.expunge(session)
    tombstones.add_tombstone(user_id, session_id, stamp)
    db.session.commit()
    audio_files.remove(audio_paths)  # after the commit; the orphan sweep catches a crash here
    return stamp
