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
from app.sync.sensor_types import ensure_sensor_types


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int
    updated: int


_PG_UPSERT = text(
    """
    WITH incoming AS (
        SELECT t.id AS sensor_type_id, r.timestamp, CAST(r.data AS jsonb) AS data
        FROM json_to_recordset(CAST(:batch AS json)) AS r(sensor_type text, timestamp bigint,
                                                           data json)
        JOIN sensor_types AS t ON t.name = r.sensor_type
        ORDER BY t.id, r.timestamp
    ), written AS (
        INSERT INTO sensor_data
            (timestamp, created_at, updated_at, recording_session_id, sensor_type_id, data)
        SELECT timestamp, :stamp, :stamp, :session, sensor_type_id, data FROM incoming
        ON CONFLICT (recording_session_id, sensor_type_id, timestamp) DO UPDATE
            SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at
            WHERE sensor_data.data IS DISTINCT FROM EXCLUDED.data
        RETURNING xmax = 0 AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
    """
).bindparams(bindparam("stamp", type_=UTCDateTime()))

_SQLITE_INCOMING = """
    SELECT t.id AS sensor_type_id,
           json_extract(value, '$.timestamp') AS ts,
           json_extract(value, '$.data') AS data
    FROM json_each(:batch)
    JOIN sensor_types AS t ON t.name = json_extract(value, '$.sensor_type')
"""

_SQLITE_UPDATE = text(
    f"""
    UPDATE sensor_data SET data = incoming.data, updated_at = :stamp
    FROM ({_SQLITE_INCOMING}) AS incoming
    WHERE sensor_data.recording_session_id = :session
      AND sensor_data.sensor_type_id = incoming.sensor_type_id
      AND sensor_data.timestamp = incoming.ts
      AND sensor_data.data IS NOT incoming.data
    """
).bindparams(bindparam("stamp", type_=UTCDateTime()))

_SQLITE_INSERT = text(
    f"""
    INSERT INTO sensor_data
        (timestamp, created_at, updated_at, recording_session_id, sensor_type_id, data)
    SELECT ts, :stamp, :stamp, :session, sensor_type_id, data
    FROM ({_SQLITE_INCOMING}) WHERE true
    ORDER BY sensor_type_id, ts
    ON CONFLICT (recording_session_id, sensor_type_id, timestamp) DO NOTHING
    """
).bindparams(bindparam("stamp", type_=UTCDateTime()))


def upsert_samples(session_pk: int, samples: list[dict], stamp: datetime) -> UpsertCounts:
    """Insert new keys, overwrite changed data (last write wins), leave identical rows alone.

    `samples` must hold each (sensor_type, timestamp) key once. Counts of identical rows are
    what is left: `len(samples) - inserted - updated`.
    """
    if not samples:
        return UpsertCounts(0, 0)
    ensure_sensor_types({sample["sensor_type"] for sample in samples})
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
