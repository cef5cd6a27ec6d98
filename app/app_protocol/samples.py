"""The app's flat sensor records, stored through the push batch path of /api.

SyncManager sends `{timestamp, sensorType, x, y, z, latitude, longitude, altitude, accuracy,
speed, heading}` with unused fields null. A record becomes the sample
`{sensor_type, timestamp, data}` whose `data` holds its non-null fields under their own names
(x/y/z for motion sensors, latitude/longitude/… for GPS, as the analysis reads them), then
`push()` applies dedup, last write wins, the caps, counts and the sync log.

Records may arrive before their session (its upload failed or is still queued): the session
is then created *provisionally*, starting at its first valid sample, in the push's own
transaction, and nothing is lost. Its own upload later sets every field and clears the flag;
until then further early samples move its start back.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.clock import utcnow
from app.errors import NotFound, PayloadTooLarge
from app.extensions import db
from app.models import RecordingSession
from app.recordings.last_write_wins import NewSessionNeedsStart
from app.recordings.sample_rules import split_samples
from app.recordings.schemas import SESSION_ID_PATTERN, SessionIn
from app.sync.push import PushLimits, push
from app.sync.schemas import PushRequest

# Fields of a record that are not measurements.
_NOT_DATA = frozenset(
    {"timestamp", "sensorType", "id", "sessionId", "isUploaded", "createdAt", "updatedAt"}
)
_NAMES = {"sensor_type": "sensorType"}
_SESSION_ID = re.compile(SESSION_ID_PATTERN)


def to_sample(record: Any) -> Any:
    """A flat app record as a push sample; anything else is passed on for the per-sample
    checks to report."""
    if not isinstance(record, dict):
        return record
    data = {k: v for k, v in record.items() if k not in _NOT_DATA and v is not None}
    return {
        "sensor_type": record.get("sensorType"),
        "timestamp": record.get("timestamp"),
        "data": data,
    }


def provisional_state(user_id: int, session_id: str) -> Any:
    """`(provisional, start_time)` of the caller's session, or None; read outside any write
    transaction so a confirmed session costs one indexed read and holds no lock."""
    row = db.session.execute(
        select(RecordingSession.provisional, RecordingSession.start_time).where(
            RecordingSession.user_id == user_id, RecordingSession.session_id == session_id
        )
    ).first()
    db.session.rollback()
    return row


def store_records(
    user_id: int, session_id: str, records: list[Any], *, check_numbers: bool, body_bytes: int
) -> dict[str, Any]:
    """Store one batch of the app's records; the counts the app may show."""
    if not _SESSION_ID.match(session_id):
        # Like every session route: an id no session can have names no session (404).
        raise NotFound(
            "There is no such session, and none can have this id: session ids are 1 to 100 "
            "letters, digits or _ . : - characters, starting with a letter or digit",
            {"sessionId": session_id[:120]},
        )
    session = SessionIn(session_id=session_id)
    limits = PushLimits.from_config(current_app.config)
    if len(records) > limits.max_samples:
        raise PayloadTooLarge(
            f"Send at most {limits.max_samples} records per request; this one has {len(records)}."
        )
    samples = [to_sample(record) for record in records]
    request = PushRequest(session=session, sensor_data=samples)
    try:
        result = push(
            user_id,
            request,
            limits,
            check_numbers=check_numbers,
            body_bytes=body_bytes,
            provisional=True,
        )
    except NewSessionNeedsStart:  # an unknown session and no valid record to start it at
        db.session.rollback()
        return _all_refused(session_id, samples, limits, check_numbers)
    return {
        "sessionId": session_id,
        "received": result["total_records"],
        "inserted": result["inserted"],
        "updated": result["updated"],
        "duplicates": result["duplicates"],
        "errors": result["errors"],
        "errorDetails": [_app_names(e) for e in result["error_details"]],
        "sessionDataCount": result["session_data_count"],
        "provisional": result["provisional"],
    }


def _all_refused(
    session_id: str, samples: list[Any], limits: PushLimits, check_numbers: bool
) -> dict[str, Any]:
    """The session is unknown and no record is valid: nothing to create or store; every
    record is reported as push would report it."""
    _, errors = split_samples(samples, utcnow(), check_numbers=check_numbers, keys=limits.keys)
    return {
        "sessionId": session_id,
        "received": len(samples),
        "inserted": 0,
        "updated": 0,
        "duplicates": 0,
        "errors": len(errors),
        "errorDetails": [_app_names(e) for e in errors[: limits.max_error_details]],
        "sessionDataCount": 0,
        "provisional": False,
    }


def _app_names(error: dict[str, Any]) -> dict[str, Any]:
    message = error["error"]
    for ours, theirs in _NAMES.items():
        message = message.replace(ours, theirs)
    return {"index": error["index"], "error": message}
