"""Set-based sample upsert: one statement per batch on PostgreSQL, two on SQLite.

The batch travels as one JSON document and is unpacked by the database, so the cost in Python
is one `orjson.dumps` per batch, never a query or an ORM object per sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import bindparam, text

from app.extensions import db
from app.models.base import UTCDateTime


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int
    updated: int


_PG_UPSERT = text(
    """
    WITH incoming AS (
        SELECT r.sensor_type, r.timestamp, CAST(r.data AS jsonb) AS data
        FROM json_to_recordset(CAST(:batch AS json)) AS r(sensor_type text, timestamp bigint,
                                                           data json)
        ORDER BY r.sensor_type, r.timestamp
    ), written AS (
        INSERT INTO sensor_data
            (timestamp, created_at, updated_at, recording_session_id, sensor_type, data)
        SELECT timestamp, :stamp, :stamp, :session, sensor_type, data FROM incoming
        ON CONFLICT (recording_session_id, sensor_type, timestamp) DO UPDATE
            SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at
            WHERE sensor_data.data IS DISTINCT FROM EXCLUDED.data
        RETURNING xmax = 0 AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
    """
).bindparams(bindparam("stamp", type_=UTCDateTime()))

_SQLITE_INCOMING = """
    SELECT json_extract(value, '$.sensor_type') AS sensor_type,
           json_extract(value, '$.timestamp') AS ts,
           json_extract(value, '$.data') AS data
    FROM json_each(:batch)
"""

_SQLITE_UPDATE = text(
    f"""
    UPDATE sensor_data SET data = incoming.data, updated_at = :stamp
    FROM ({_SQLITE_INCOMING}) AS incoming
    WHERE sensor_data.recording_session_id = :session
      AND sensor_data.sensor_type = incoming.sensor_type
      AND sensor_data.timestamp = incoming.ts
      AND sensor_data.data IS NOT incoming.data
    """
).bindparams(bindparam("stamp", type_=UTCDateTime()))

_SQLITE_INSERT = text(
    f"""
    INSERT INTO sensor_data
        (timestamp, created_at, updated_at, recording_session_id, sensor_type, data)
    SELECT ts, :stamp, :stamp, :session, sensor_type, data
    FROM ({_SQLITE_INCOMING}) WHERE true
    ORDER BY sensor_type, ts
    ON CONFLICT (recording_session_id, sensor_type, timestamp) DO NOTHING
    """
).bindparams(bindparam("stamp", type_=UTCDateTime()))


def upsert_samples(session_pk: int, samples: list[dict], stamp: datetime) -> UpsertCounts:
    """Insert new keys, overwrite changed data (last write wins), leave identical rows alone.

    `samples` must hold each (sensor_type, timestamp) key once. Counts of identical rows are
    what is left: `len(samples) - inserted - updated`.
    """
    if not samples:
        return UpsertCounts(0, 0)
    # Sorted keys make SQLite's text comparison of `data` a comparison of content.
    batch = orjson.dumps(samples, option=orjson.OPT_SORT_KEYS).decode()
    params = {"batch": batch, "stamp": stamp, "session": session_pk}
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        inserted, updated = connection.execute(_PG_UPSERT, params).one()
        return UpsertCounts(inserted, updated)
    updated = connection.execute(_SQLITE_UPDATE, params).rowcount
    inserted = connection.execute(_SQLITE_INSERT, params).rowcount
    return UpsertCounts(inserted, updated)
