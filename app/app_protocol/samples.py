"""The app's flat sensor records, stored through the push batch path of /api.

SyncManager sends `{timestamp, sensorType, x, y, z, latitude, longitude, altitude, accuracy,
speed, heading}` with unused fields null. A record becomes the sample
`{sensor_type, timestamp, data}` whose `data` holds its non-null fields under their own names
(x/y/z for motion sensors, latitude/longitude/… for GPS, as the analysis reads them), then
`push()` applies dedup, last write wins, the caps, counts and the sync log.

Records may arrive before their session (its upload failed or is still queued): the session
is then created *provisionally*, starting at its first valid sample, and nothing is lost. Its
own upload later sets every field and clears the flag; until then further early samples move
its start back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.api.validation import parse_model
from app.app_protocol.times import from_ms
from app.errors import PayloadTooLarge, ValidationFailed
from app.extensions import db
from app.models import RecordingSession
from app.sync.push import PushLimits, push
from app.sync.schemas import EARLIEST_TIMESTAMP_MS, FUTURE_TOLERANCE, PushRequest, SessionIn
from app.sync.sessions import lock_or_create_session
from app.sync.watermark import begin_stamped_write

# Fields of a record that are not measurements.
_NOT_DATA = frozenset(
    {"timestamp", "sensorType", "id", "sessionId", "isUploaded", "createdAt", "updatedAt"}
)
_NAMES = {"sensor_type": "sensorType"}


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


def _first_timestamp(samples: list[Any]) -> int | None:
    """The earliest timestamp that the per-sample checks will accept."""
    latest = int((datetime.now(UTC) + FUTURE_TOLERANCE).timestamp() * 1000)
    valid = [
        s["timestamp"]
        for s in samples
        if isinstance(s, dict)
        and type(s.get("timestamp")) is int
        and EARLIEST_TIMESTAMP_MS <= s["timestamp"] <= latest
    ]
    return min(valid, default=None)


def ensure_session(user_id: int, session_id: str, first_ms: int | None) -> bool:
    """Create the session provisionally when samples come first, or move a provisional
    session's start back to an earlier sample (own short transaction, change-stamped).
    Returns whether the session is provisional."""
    row = db.session.execute(
        select(RecordingSession.provisional, RecordingSession.start_time).where(
            RecordingSession.user_id == user_id, RecordingSession.session_id == session_id
        )
    ).first()
    db.session.rollback()
    if first_ms is None:
        if row is None:
            raise ValidationFailed(
                "No record of this batch is valid and the session is unknown: nothing was "
                "stored. Check each record's timestamp (ms) and sensorType.",
                {"sessionId": session_id},
            )
        return row.provisional
    first = from_ms(first_ms)
    if row is not None and (not row.provisional or row.start_time <= first):
        return row.provisional
    stamp = begin_stamped_write()
    incoming = SessionIn(session_id=session_id, start_time=first, is_active=True)
    session, created = lock_or_create_session(user_id, incoming, stamp)
    if created:
        session.provisional = True
    elif session.provisional and session.start_time > first:
        session.start_time = first
        session.updated_at = stamp
    provisional = session.provisional
    db.session.commit()
    return provisional


def store_records(
    user_id: int, session_id: str, records: list[Any], *, check_numbers: bool, body_bytes: int
) -> dict[str, Any]:
    """Store one batch of the app's records; the counts the app may show."""
    session = parse_model(SessionIn, {"session_id": session_id})
    limits = PushLimits.from_config(current_app.config)
    if len(records) > limits.max_samples:
        raise PayloadTooLarge(
            f"Send at most {limits.max_samples} records per request; this one has {len(records)}."
        )
    samples = [to_sample(record) for record in records]
    provisional = ensure_session(user_id, session.session_id, _first_timestamp(samples))
    result = push(
        user_id,
        PushRequest(session=session, sensor_data=samples),
        limits,
        check_numbers=check_numbers,
        body_bytes=body_bytes,
    )
    return {
        "sessionId": session_id,
        "received": result["total_records"],
        "inserted": result["inserted"],
        "updated": result["updated"],
        "duplicates": result["duplicates"],
        "errors": result["errors"],
        "errorDetails": [_app_names(e) for e in result["error_details"]],
        "sessionDataCount": result["session_data_count"],
        "provisional": provisional,
    }


def _app_names(error: dict[str, Any]) -> dict[str, Any]:
    message = error["error"]
    for ours, theirs in _NAMES.items():
        message = message.replace(ours, theirs)
    return {"index": error["index"], "error": message}
