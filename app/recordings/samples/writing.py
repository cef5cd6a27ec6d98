"""Set-based sample upsert: one statement per batch on PostgreSQL, two on SQLite.

The batch travels as one JSON document and is unpacked by the database, so the cost in Python
is one `orjson.dumps` per batch, never a query or an ORM object per sample.

On PostgreSQL a large batch appending new samples (the common case of a bulk push) takes a
faster path: when no stored key of the session falls inside the batch's (sensor type, timestamp)
spans, the batch is written with COPY, PostgreSQL's bulk path (about twice as fast as
INSERT … SELECT here). That test is exact because every writer holds the session's row lock
(app/recordings/last_write_wins.py); should a conflict appear anyway, a savepoint rolls the
COPY back and the upsert runs instead. A small batch (a phone's 100 records) goes straight to
the upsert: one round trip instead of four, which is what a small batch's time is made of
(measured with bench/app_push_bench.py: 22,600 against 19,500 samples/s).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime

import orjson
import psycopg2
from sqlalchemy import bindparam, text
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.base import UTCDateTime
from app.recordings.samples.sensor_types import ensure_sensor_types

# Below this many samples the upsert's single round trip beats the overlap check + COPY.
COPY_MIN_SAMPLES = 1000


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int
    updated: int


# Rows arrive in key order (sorted by the caller), so the dedup index is filled left to right.
_PG_INCOMING = """
    SELECT t.id AS sensor_type_id, r.timestamp, CAST(r.data AS jsonb) AS data
    FROM json_to_recordset(CAST(:batch AS json))
         AS r(sensor_type text, timestamp bigint, data json)
    JOIN sensor_types AS t ON t.name = r.sensor_type
"""

_PG_OVERLAPS = text(
    """
    SELECT EXISTS (
        SELECT 1
        FROM unnest(CAST(:types AS int[]), CAST(:lows AS bigint[]), CAST(:highs AS bigint[]))
             AS span(type_id, low, high)
        WHERE EXISTS (
            SELECT 1 FROM sensor_data AS d
            WHERE d.recording_session_id = :session AND d.sensor_type_id = span.type_id
              AND d.timestamp BETWEEN span.low AND span.high
        )
    )
    """
)

_PG_COPY = (
    "COPY sensor_data (timestamp, created_at, updated_at, recording_session_id, sensor_type_id,"
    " data, user_id) FROM STDIN"
)
_KEY = "(recording_session_id, sensor_type_id, timestamp, user_id)"

_PG_UPSERT = text(
    f"""
    WITH written AS (
        INSERT INTO sensor_data
            (timestamp, created_at, updated_at, recording_session_id, sensor_type_id, data,
             user_id)
        SELECT timestamp, :stamp, :stamp, :session, sensor_type_id, data, :user
        FROM ({_PG_INCOMING}) AS incoming
        ON CONFLICT {_KEY} DO UPDATE
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

# SQLite: count the batch's keys already stored, then one upsert. Both statements loop over the
# batch and probe the dedup index (CROSS JOIN fixes that order), never over the session's rows.
_SQLITE_EXISTING = text(
    f"""
    SELECT count(*) FROM ({_SQLITE_INCOMING}) AS incoming
    CROSS JOIN sensor_data
    WHERE sensor_data.recording_session_id = :session
      AND sensor_data.sensor_type_id = incoming.sensor_type_id
      AND sensor_data.timestamp = incoming.ts
    """
)

_SQLITE_UPSERT = text(
    f"""
    INSERT INTO sensor_data
        (timestamp, created_at, updated_at, recording_session_id, sensor_type_id, data, user_id)
    SELECT ts, :stamp, :stamp, :session, sensor_type_id, data, :user
    FROM ({_SQLITE_INCOMING}) WHERE true
    ON CONFLICT {_KEY} DO UPDATE
        SET data = excluded.data, updated_at = excluded.updated_at
        WHERE sensor_data.data IS NOT excluded.data
    """
).bindparams(bindparam("stamp", type_=UTCDateTime()))


def upsert_samples(
    session_pk: int,
    samples: list[dict],
    stamp: datetime,
    type_ids: dict[str, int] | None = None,
    *,
    user_id: int,
) -> UpsertCounts:
    """Insert new keys, overwrite changed data (last write wins), leave identical rows alone.

    `samples` must hold each (sensor_type, timestamp) key once, sorted by that key; `user_id`
    is the session's owner, part of the key. Counts of
    identical rows are what is left: `len(samples) - inserted - updated`. `type_ids` (from
    `ensure_sensor_types`) saves looking the names up again.
    """
    if not samples:
        return UpsertCounts(0, 0)
    if type_ids is None:
        type_ids = ensure_sensor_types({sample["sensor_type"] for sample in samples})
    connection = db.session.connection()
    if (
        connection.dialect.name == "postgresql"
        and len(samples) >= COPY_MIN_SAMPLES
        and not _pg_overlaps(session_pk, samples, type_ids)
    ):
        try:
            with db.session.begin_nested():
                copied = _pg_copy(session_pk, user_id, samples, stamp, type_ids)
                return UpsertCounts(copied, 0)
        except (IntegrityError, psycopg2.IntegrityError):
            pass  # someone wrote these keys after all: the upsert sorts it out
    # Sorted keys make SQLite's text comparison of `data` a comparison of content.
    batch = orjson.dumps(samples, option=orjson.OPT_SORT_KEYS).decode()
    params = {"batch": batch, "stamp": stamp, "session": session_pk, "user": user_id}
    if connection.dialect.name == "postgresql":
        inserted, updated = connection.execute(_PG_UPSERT, params).one()
        return UpsertCounts(inserted, updated)
    existing = connection.execute(_SQLITE_EXISTING, params).scalar_one()
    changed = connection.execute(_SQLITE_UPSERT, params).rowcount
    inserted = len(samples) - existing
    return UpsertCounts(inserted, changed - inserted)


def _pg_overlaps(session_pk: int, samples: list[dict], type_ids: dict[str, int]) -> bool:
    """Whether any stored key of the session lies within the batch's per-type time spans."""
    spans: dict[str, list[int]] = {}
    for sample in samples:  # sorted: the first of a type is its lowest timestamp
        span = spans.setdefault(sample["sensor_type"], [sample["timestamp"], 0])
        span[1] = sample["timestamp"]
    params = {
        "session": session_pk,
        "types": [type_ids[name] for name in spans],
        "lows": [low for low, _ in spans.values()],
        "highs": [high for _, high in spans.values()],
    }
    return db.session.connection().execute(_PG_OVERLAPS, params).scalar_one()


def _pg_copy(
    session_pk: int, user_id: int, samples: list[dict], stamp: datetime, type_ids: dict
) -> int:
    """COPY the batch in (text format) through the session's own connection and transaction."""
    when = stamp.isoformat()
    prefix = {name: f"\t{when}\t{when}\t{session_pk}\t{id_}\t" for name, id_ in type_ids.items()}
    suffix = f"\t{user_id}\n"
    dumps = orjson.dumps
    lines = [
        f"{s['timestamp']}{prefix[s['sensor_type']]}{dumps(s['data']).decode()}{suffix}"
        for s in samples
    ]
    # JSON text has no raw tabs or newlines; backslashes mean something to COPY: escape them.
    text_ = "".join(lines).replace("\\", "\\\\")
    cursor = db.session.connection().connection.driver_connection.cursor()
    try:
        cursor.copy_expert(_PG_COPY, io.StringIO(text_))
        return cursor.rowcount
    finally:
        cursor.close()


# Rows given back by a chunk keep their own change stamps (app/recordings/samples/unfolding.py).
_PG_RESTORE = text(
    """
    INSERT INTO sensor_data
        (timestamp, created_at, updated_at, recording_session_id, sensor_type_id, data, user_id)
    SELECT r.timestamp, r.stamp, r.stamp, :session, :type, CAST(r.data AS jsonb), :user
    FROM json_to_recordset(CAST(:batch AS json))
         AS r(timestamp bigint, stamp timestamptz, data json)
    """
)
# The data text is made exactly as the upsert makes it (orjson, sorted keys, then SQLite's
# json_extract), so a later identical push still finds the row unchanged.
_SQLITE_RESTORE = text(
    """
    INSERT INTO sensor_data
        (timestamp, created_at, updated_at, recording_session_id, sensor_type_id, data, user_id)
    SELECT json_extract(value, '$.timestamp'), json_extract(value, '$.stamp'),
           json_extract(value, '$.stamp'), :session, :type, json_extract(value, '$.data'), :user
    FROM json_each(:batch) WHERE true ORDER BY key
    """
)
_SQLITE_STAMP = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a DateTime in SQLite


def restore_samples(
    session_pk: int, type_id: int, samples: list[tuple[int, dict, datetime]], *, user_id: int
) -> None:
    """Insert `(timestamp, data, change stamp)` rows for keys the session does not hold as
    rows, each with its own stamp (in the caller's transaction, under the session lock)."""
    if not samples:
        return
    postgres = db.session.connection().dialect.name == "postgresql"
    batch = [
        {
            "timestamp": ts,
            "stamp": stamp.isoformat() if postgres else stamp.strftime(_SQLITE_STAMP),
            "data": data,
        }
        for ts, data, stamp in samples
    ]
    try:
        text_ = orjson.dumps(batch, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:  # an int beyond 64 bits: the standard library writes it exactly
        text_ = json.dumps(batch, sort_keys=True, separators=(",", ":"))
    params = {"batch": text_, "session": session_pk, "type": type_id, "user": user_id}
    db.session.execute(_PG_RESTORE if postgres else _SQLITE_RESTORE, params)
