"""What a session's samples hold, answered by the database: per sensor type the count and
first and last timestamp, whether a session has samples of a type, and the kinds of values
each data key holds. Chunks answer counts and spans from their metadata, without decoding."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import ColumnElement, or_, select, text

from app.database import is_postgres
from app.extensions import db
from app.models import RecordingSession, SampleChunk, SensorData, SensorType
from app.recordings.samples.chunks import list_chunks
from app.recordings.samples.columns import chunk_kinds
from app.recordings.samples.locks import hold_for_reading

# Count, first and last timestamp per sensor type: one walk of the session's dedup-index range,
# and the same from the chunks' metadata.
_SUMMARY = text(
    """
    SELECT sensor_types.name, counts.n, counts.first_ts, counts.last_ts, sensor_types.id
    FROM (SELECT sensor_type_id, count(*) AS n, min(timestamp) AS first_ts,
                 max(timestamp) AS last_ts
          FROM sensor_data WHERE recording_session_id = :session
          GROUP BY sensor_type_id
          UNION ALL
          SELECT sensor_type_id, sum(sample_count), min(first_timestamp), max(last_timestamp)
          FROM sample_chunks WHERE recording_session_id = :session
          GROUP BY sensor_type_id) AS counts
    JOIN sensor_types ON sensor_types.id = counts.sensor_type_id
    ORDER BY sensor_types.name
    """
)


def sensor_summary(session_pk: int) -> list[dict[str, Any]]:
    """`{sensor_type, count, first_timestamp, last_timestamp, type_id}` per sensor type."""
    hold_for_reading(session_pk)
    summary: dict[str, dict[str, Any]] = {}
    for name, count, first, last, type_id in db.session.execute(_SUMMARY, {"session": session_pk}):
        known = summary.get(name)
        if known is None:
            summary[name] = {
                "sensor_type": name,
                "count": int(count),
                "first_timestamp": first,
                "last_timestamp": last,
                "type_id": type_id,
            }
            continue
        known["count"] += int(count)
        known["first_timestamp"] = min(known["first_timestamp"], first)
        known["last_timestamp"] = max(known["last_timestamp"], last)
    return list(summary.values())


def has_samples_of_type(sensor_type: str) -> ColumnElement[bool]:
    """A condition on `RecordingSession`: it holds samples of `sensor_type`."""
    in_rows = (
        select(SensorData.id)
        .join(SensorType, SensorType.id == SensorData.sensor_type_id)
        .where(
            SensorData.recording_session_id == RecordingSession.id,
            SensorType.name == sensor_type,
        )
        .exists()
    )
    in_chunks = (
        select(SampleChunk.id)
        .join(SensorType, SensorType.id == SampleChunk.sensor_type_id)
        .where(
            SampleChunk.recording_session_id == RecordingSession.id,
            SensorType.name == sensor_type,
        )
        .exists()
    )
    return or_(in_rows, in_chunks)


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
    hold_for_reading(session_pk)
    kinds: dict[str, set[str]] = {}
    for key, kind in db.session.execute(text(sql), params):
        kinds.setdefault(key, set()).add(kind)
    wanted = set(keys)
    names = _PG_KINDS if is_postgres() else _SQLITE_KINDS
    for chunk in list_chunks(session_pk, type_id):
        found = chunk_kinds(chunk.id, wanted, lambda value: _kind(value, names))
        for key, found_kinds in found.items():
            kinds.setdefault(key, set()).update(found_kinds)
    return kinds


# The database's own names for JSON kinds, so chunk samples answer as rows would.
_PG_KINDS = {
    bool: ("boolean", "boolean"),
    int: ("number", "number"),
    float: ("number", "number"),
    str: ("string", "string"),
    type(None): ("null", "null"),
    dict: ("object", "object"),
    list: ("array", "array"),
}
_SQLITE_KINDS = {
    bool: ("false", "true"),
    int: ("integer", "integer"),
    float: ("real", "real"),
    str: ("text", "text"),
    type(None): ("null", "null"),
    dict: ("object", "object"),
    list: ("array", "array"),
}


def _kind(value: Any, names: dict) -> str:
    return names[type(value)][1 if value is True else 0]
