"""The app's sessions over the rules of /api: last write wins, stamps, tombstones.

A write takes the same path as a push without samples (`store_batch`: lock or create, LWW on
the fields sent, `is_uploaded`, change stamp), then sets the fields only the app sends
(device, metadata, audio flag) in the same transaction, and logs it in the sync log.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from app.analyses.scheduling import enqueue_after_close
from app.app_protocol.schemas import AppSessionListQuery, SessionPatchIn, SessionWriteIn
from app.app_protocol.times import to_ms
from app.audio.service import app_audio_recordings_json
from app.clock import iso_utc, utcnow
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.housekeeping.compaction import compact_after_close
from app.models import RecordingSession, SyncLog
from app.recordings.batches import store_batch
from app.recordings.last_write_wins import lock_session
from app.recordings.ownership import owned_session
from app.recordings.schemas import SessionIn
from app.recordings.watermark import begin_stamped_write
from app.sessions import service as api_sessions
from app.validation import parse_model

# App field → column, for the fields the push rules (SessionIn) know.
_PUSH_FIELDS = {
    "startTime": "start_time",
    "endTime": "end_time",
    "isActive": "is_active",
    "enabledSensors": "enabled_sensors",
    "sensorTypes": "enabled_sensors",
    "sampleRate": "sample_rate",
    "notes": "notes",
}
# App field → column, for what only the app sends.
_APP_FIELDS = {"deviceId": "device_id", "metadata": "client_metadata", "hasAudio": "has_audio"}
_SORT = {
    "startTime": RecordingSession.start_time,
    "createdAt": RecordingSession.created_at,
    "updatedAt": RecordingSession.updated_at,
}


def session_json(session: RecordingSession) -> dict[str, Any]:
    """`Session` of src/api/sessions.ts (times in ms; createdAt/updatedAt as the ISO strings
    that type declares), plus the fields SyncManager uploads."""
    start, end = to_ms(session.start_time), to_ms(session.end_time)
    return {
        "id": session.session_id,
        "sessionId": session.session_id,
        "userId": str(session.user_id),
        "deviceId": session.device_id,
        "startTime": start,
        "endTime": end,
        "duration": None if end is None else end - start,
        "sensorTypes": session.enabled_sensors,
        "enabledSensors": session.enabled_sensors,
        "hasAudio": session.has_audio,
        "metadata": session.client_metadata,
        "notes": session.notes,
        "sampleRate": session.sample_rate,
        "isActive": session.is_active,
        "dataCount": session.data_count,
        "provisional": session.provisional,
        "createdAt": iso_utc(session.created_at),
        "updatedAt": iso_utc(session.updated_at),
    }


def _push_fields(sent: dict[str, Any]) -> dict[str, Any]:
    fields = {column: sent[name] for name, column in _PUSH_FIELDS.items() if name in sent}
    if fields.get("start_time", ...) is None:
        del fields["start_time"]  # a session always has a start: null leaves it as it is
    if "enabledSensors" in sent and "sensorTypes" in sent:
        fields["enabled_sensors"] = sent["enabledSensors"] or sent["sensorTypes"]
    return fields


def write_session(
    user_id: int,
    session_id: str | None,
    incoming: SessionWriteIn | SessionPatchIn,
    *,
    must_exist: bool,
) -> tuple[dict[str, Any], bool]:
    """Create or update a session under the push rules; returns (app session, created)."""
    sent = {name: getattr(incoming, name) for name in incoming.model_fields_set}
    session_id = session_id or str(uuid.uuid4())
    stamp = begin_stamped_write()
    existing = lock_session(user_id, session_id)
    if existing is None and must_exist:
        raise NotFound(
            f"There is no session {session_id!r}: upload it first.", {"sessionId": session_id}
        )
    fields = _push_fields(sent)
    if existing is None:
        fields.setdefault("start_time", stamp)  # sessions.ts lets the server choose the start
    _check_span(fields, existing)
    request = parse_model(SessionIn, {"session_id": session_id} | fields)
    stored = store_batch(user_id, request, [], stamp, current_app.config["MAX_SESSION_SENSOR_KEYS"])
    session = stored.session
    changed = _apply_app_fields(session, sent) or stored.changed
    if changed:
        session.updated_at = stamp
    _log(user_id, session, stored.created, stamp)
    body, session_pk = session_json(session), session.id
    closed = not session.is_active
    db.session.commit()
    if changed and closed:
        enqueue_after_close(session_pk)  # as a push that changes a closed session (after commit)
        compact_after_close(session_pk)
    return body, stored.created


def _check_span(fields: dict[str, Any], existing: RecordingSession | None) -> None:
    """The rule of the push (an end not before the start, sent or stored), in the app's
    words."""
    start = fields.get("start_time") or existing.start_time
    end = fields["end_time"] if "end_time" in fields else existing and existing.end_time
    if end is not None and end < start:
        raise ValidationFailed(
            "endTime must not be before startTime",
            {"startTime": to_ms(start), "endTime": to_ms(end)},
        )


def _apply_app_fields(session: RecordingSession, sent: dict[str, Any]) -> bool:
    changes = {column: sent[name] for name, column in _APP_FIELDS.items() if name in sent}
    if "has_audio" in changes and changes["has_audio"] is None:
        del changes["has_audio"]
    changes["provisional"] = False  # the session's own call: no longer only known by samples
    changed = False
    for column, value in changes.items():
        if getattr(session, column) != value:
            setattr(session, column, value)
            changed = True
    return changed


def _log(user_id: int, session: RecordingSession, created: bool, stamp) -> None:
    db.session.add(
        SyncLog(
            user_id=user_id,
            recording_session_id=session.id,
            sync_type="push",
            status="success",
            records_count=1,
            details={"kind": "session", "protocol": "app", "session_created": created},
            started_at=stamp,
            completed_at=utcnow(),
        )
    )


def get_session(user_id: int, session_id: str) -> dict[str, Any]:
    """The session with its audio recordings (the list and pull leave them out)."""
    session = owned_session(user_id, session_id)
    return {**session_json(session), "audioRecordings": app_audio_recordings_json(session)}


def delete_session(user_id: int, session_id: str) -> int:
    """Delete as /api does (samples and a tombstone for other devices' pulls); ms of it."""
    return to_ms(api_sessions.delete_session(user_id, session_id))


def list_sessions(user_id: int, query: AppSessionListQuery) -> tuple[list[dict], int]:
    """One page of the caller's sessions in the app's order; (items, total)."""
    mine = select(RecordingSession).where(RecordingSession.user_id == user_id)
    total = db.session.scalar(select(func.count()).select_from(mine.subquery()))
    column = _SORT[query.sortBy]
    order = (column.asc(), RecordingSession.id.asc())
    if query.sortOrder == "desc":
        order = (column.desc(), RecordingSession.id.desc())
    page = db.session.scalars(
        mine.order_by(*order).offset((query.page - 1) * query.limit).limit(query.limit)
    )
    return [session_json(session) for session in page], total
