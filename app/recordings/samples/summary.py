"""What a session's samples hold, answered by the database: per sensor type the count and
first and last timestamp, whether a session has samples of a type, and the kinds of values
each data key holds."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import ColumnElement, select, text

from app.database import is_postgres
from app.extensions import db
from app.models import RecordingSession, SensorData, SensorType

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


def has_samples_of_type(sensor_type: str) -> ColumnElement[bool]:
    """A condition on `RecordingSession`: it holds samples of `sensor_type`."""
    return (
        select(SensorData.id)
        .join(SensorType, SensorType.id == SensorData.sensor_type_id)
        .where(
            SensorData.recording_session_id == RecordingSession.id,
            SensorType.name == sensor_type,
        )
        .exists()
    )


# The chosen names travel as one array; `IN (SELECT …)` lets the database hash them.
_PG_KEYS = """
    SELECT DISTINCT kv.key, jsonb_typeof(kv.value)
    FROM sensor_data AS d CROSS JOIN LATERAL jsonb_each(d.data) AS kv
    WHERE d.recording_session_id = :session
      AND kv.key IN (SELECT unnest(CAST(:keys AS text[])))
"""
_SQLITE_KEYS = """
    SELECT DISTINCT j.key, j.type FROM sensor_data AS d, json_each(d.data) AS j
    WHERE d.recording_session_id = :session
      AND j.key IN (SELECT value FROM json_each(:keys))
"""


def key_kinds(session_pk: int, keys: list[str], type_id: int | None = None) -> dict[str, set[str]]:
    """The JSON kinds (`number`, `string`, `null`…) each of `keys` holds in the session's
    samples (of one sensor type if given): one pass over the samples; keys no sample holds are
    missing."""
    sql = _PG_KEYS if is_postgres() else _SQLITE_KEYS
    params = {"session": session_pk, "keys": keys if is_postgres() else orjson.dumps(keys).decode()}
    if type_id is not None:
        sql += " AND d.sensor_type_id = :type"
        params["type"] = type_id
    kinds: dict[str, set[str]] = {}
    for key, kind in db.session.execute(text(sql), params):
        kinds.setdefault(key, set()).add(kind)
    return kinds
