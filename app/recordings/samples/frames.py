"""Samples as pandas frames for the analyses, read with set-based queries: never a query or
object per sample.

A session's samples become the long frame app/analyses/compute expects (`sensor_type`, `timestamp`,
one float column per numeric data field). The candidate fields are the session's registered
keys (app/recordings/samples/fields.py: at most MAX_SESSION_SENSOR_KEYS, the earliest arrivals, so
the frame stays bounded even for data stored before the caps); which of them are numeric is
found from the first and last `KEY_SAMPLE` samples of each sensor type (cheap index scans; the
registry keeps names, not value kinds). Then ONE query reads every sample with those fields
extracted by the database:

- PostgreSQL: `COPY (SELECT …, (data->>'x')::float8 …) TO STDOUT` into a buffer parsed by
  `pd.read_csv` (the fastest way from psycopg2 to numpy);
- SQLite: the same SELECT with `json_extract`, rows read in one `fetchall`.

Samples carry a sensor type id (app/recordings/samples/sensor_types.py); the ids become names in
pandas, as a categorical column, so the big query needs no join. Only top-level numeric fields
are read (what the phone sends); a value that is not a number in some row becomes NaN there.

Sensor types with chunks are read from the chunks' typed columns (Arrow → numpy, no JSON parsed
when every field has a column) and merged with their rows in timestamp order
(app/recordings/samples/numbers.py); the key sample looks at the merged first and last samples.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Collection
from datetime import datetime

import numpy as np
import orjson
import pandas as pd
from sqlalchemy import func, select, text

from app.database import is_postgres
from app.extensions import db
from app.models import RecordingSession, SampleChunk, SensorData, SensorType
from app.recordings.samples.chunks import list_chunks
from app.recordings.samples.fields import session_fields
from app.recordings.samples.locks import hold_for_reading
from app.recordings.samples.numbers import edge_samples, number_pieces
from app.recordings.samples.sensor_types import session_sensor_types

KEY_SAMPLE = 50
log = logging.getLogger(__name__)

_PG_NUMERIC_KEYS = text(
    """
    SELECT DISTINCT kv.key
    FROM unnest(CAST(:types AS int[])) AS types(id)
    CROSS JOIN LATERAL (
        (SELECT data FROM sensor_data
         WHERE recording_session_id = :session AND sensor_type_id = types.id
         ORDER BY timestamp LIMIT :n)
        UNION ALL
        (SELECT data FROM sensor_data
         WHERE recording_session_id = :session AND sensor_type_id = types.id
         ORDER BY timestamp DESC LIMIT :n)
    ) AS picked
    CROSS JOIN LATERAL jsonb_each(picked.data) AS kv
    WHERE jsonb_typeof(kv.value) = 'number' AND kv.key IN (SELECT unnest(CAST(:keys AS text[])))
    ORDER BY kv.key
    """
)

_SQLITE_NUMERIC_KEYS = text(
    """
    SELECT DISTINCT j.key FROM (
        SELECT data FROM (SELECT data FROM sensor_data
                          WHERE recording_session_id = :s AND sensor_type_id = :t
                          ORDER BY timestamp LIMIT :n)
        UNION ALL
        SELECT data FROM (SELECT data FROM sensor_data
                          WHERE recording_session_id = :s AND sensor_type_id = :t
                          ORDER BY timestamp DESC LIMIT :n)
    ) AS picked, json_each(picked.data) AS j
    WHERE j.type IN ('integer', 'real') AND j.key IN (SELECT value FROM json_each(:keys))
    """
)


def _usable(key: str, exclude: Collection[str]) -> bool:
    """Not a frame column name, and safe to name inside a JSON path."""
    return key not in exclude and '"' not in key and "\\" not in key


def numeric_fields(
    session_pk: int, type_ids: list[int], exclude: Collection[str] = ()
) -> list[str]:
    """Names of the numeric data fields of a session (at most MAX_SESSION_SENSOR_KEYS of its
    registered keys), judged from a small sample of each sensor."""
    candidates = session_fields(session_pk, type_ids)
    if candidates.omitted:
        log.warning(
            "session %s: analysing %d of its %d data keys (MAX_SESSION_SENSOR_KEYS)",
            session_pk,
            len(candidates.names),
            candidates.total,
        )
    if not candidates.names:
        return []
    hold_for_reading(session_pk)
    chunked = {chunk.sensor_type_id for chunk in list_chunks(session_pk)}
    if chunked & set(type_ids):
        return _numeric_merged(session_pk, type_ids, candidates.names, exclude)
    connection = db.session.connection()
    if is_postgres():
        params = {"session": session_pk, "types": type_ids, "n": KEY_SAMPLE}
        params["keys"] = candidates.names
        return [k for (k,) in connection.execute(_PG_NUMERIC_KEYS, params) if _usable(k, exclude)]
    found: set[str] = set()
    keys = orjson.dumps(candidates.names).decode()
    for type_id in type_ids:
        params = {"s": session_pk, "t": type_id, "n": KEY_SAMPLE, "keys": keys}
        found.update(k for (k,) in connection.execute(_SQLITE_NUMERIC_KEYS, params))
    return sorted(k for k in found if _usable(k, exclude))


def _numeric_merged(
    session_pk: int, type_ids: list[int], names: list[str], exclude: Collection[str]
) -> list[str]:
    """numeric_fields() judged from the merged first and last samples of each sensor type."""
    wanted = set(names)
    found = {
        key
        for type_id in type_ids
        for data in edge_samples(session_pk, type_id, KEY_SAMPLE)
        for key, value in data.items()
        if key in wanted and type(value) in (int, float)
    }
    return sorted(k for k in found if _usable(k, exclude))


def _with_names(frame: pd.DataFrame, types: list[tuple[int, str]]) -> pd.DataFrame:
    """Replace `sensor_type_id` by a categorical `sensor_type` (vectorised id → name)."""
    ids = np.array([type_id for type_id, _ in types], dtype=np.int64)
    order = np.argsort(ids)
    names = [types[i][1] for i in order]
    codes = np.searchsorted(ids[order], frame["sensor_type_id"].to_numpy(dtype=np.int64))
    # Replaced in place rather than inserted: inserting into a frame of many columns (up to
    # MAX_SESSION_SENSOR_KEYS) is pandas' slow path. Renaming copies nothing (copy on write).
    frame = frame.rename(columns={"sensor_type_id": "sensor_type"})
    frame["sensor_type"] = pd.Categorical.from_codes(codes, categories=names)
    return frame


def _empty(fields: list[str]) -> pd.DataFrame:
    columns = {"sensor_type": pd.Series([], dtype="str"), "timestamp": pd.Series([], dtype="int64")}
    return pd.DataFrame(columns | {f: pd.Series([], dtype="float64") for f in fields})


def _pg_frame(session_pk: int, fields: list[str]) -> pd.DataFrame:
    extracts = "".join(
        f", CASE WHEN jsonb_typeof(d.data -> %(k{i})s) = 'number'"
        f" THEN (d.data ->> %(k{i})s)::float8 END"
        for i in range(len(fields))
    )
    query = (
        f"SELECT d.sensor_type_id, d.timestamp{extracts} FROM sensor_data AS d"
        " WHERE d.recording_session_id = %(session)s"
    )
    params = {"session": session_pk} | {f"k{i}": key for i, key in enumerate(fields)}
    raw = db.session.connection().connection.driver_connection
    buffer = io.BytesIO()
    with raw.cursor() as cursor:
        statement = cursor.mogrify(query, params).decode()
        cursor.copy_expert(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)", buffer)
    if buffer.tell() == 0:  # the samples went away since their types were read
        return pd.DataFrame(columns=["sensor_type_id", "timestamp", *fields])
    buffer.seek(0)
    dtypes = {"sensor_type_id": "int64", "timestamp": "int64"} | dict.fromkeys(fields, "float64")
    return pd.read_csv(
        buffer, header=None, names=["sensor_type_id", "timestamp", *fields], dtype=dtypes
    )


def _sqlite_frame(session_pk: int, fields: list[str]) -> pd.DataFrame:
    extracts = "".join(
        f", CASE WHEN json_type(d.data, :p{i}) IN ('integer', 'real')"
        f" THEN json_extract(d.data, :p{i}) END"
        for i in range(len(fields))
    )
    query = text(
        f"SELECT d.sensor_type_id, d.timestamp{extracts} FROM sensor_data AS d"
        " WHERE d.recording_session_id = :session"
    )
    params = {"session": session_pk} | {f"p{i}": f'$."{key}"' for i, key in enumerate(fields)}
    rows = db.session.connection().execute(query, params).fetchall()
    frame = pd.DataFrame.from_records(rows, columns=["sensor_type_id", "timestamp", *fields])
    frame["timestamp"] = frame["timestamp"].astype("int64")
    if fields:
        frame[fields] = frame[fields].astype("float64")
    return frame


def load_frame(session_pk: int, exclude: Collection[str] = ()) -> pd.DataFrame:
    """Every sample of one session as a long frame (one query over the samples); data keys in
    `exclude` are left out (they would collide with the frame's own columns)."""
    types = session_sensor_types(session_pk)
    fields = numeric_fields(session_pk, [type_id for type_id, _ in types], exclude)
    if not types:
        return _empty(fields)
    if list_chunks(session_pk):
        frame = _merged_frame(session_pk, [type_id for type_id, _ in types], fields)
    elif is_postgres():
        frame = _pg_frame(session_pk, fields)
    else:
        frame = _sqlite_frame(session_pk, fields)
    return _empty(fields) if frame.empty else _with_names(frame, types)


def _merged_frame(session_pk: int, type_ids: list[int], fields: list[str]) -> pd.DataFrame:
    """The long frame from rows and chunks, per sensor type in timestamp order."""
    parts = []
    for type_id in type_ids:
        for ts, values in number_pieces(session_pk, type_id, fields):
            part = pd.DataFrame(values, columns=fields) if fields else pd.DataFrame(index=ts)
            part.index = range(len(ts))
            part.insert(0, "timestamp", ts)
            part.insert(0, "sensor_type_id", np.int64(type_id))
            parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["sensor_type_id", "timestamp", *fields])
    return pd.concat(parts, ignore_index=True)


def sensor_counts(user_id: int, start: datetime, end: datetime) -> list[tuple[str, int]]:
    """(sensor type, samples stored) over the user's sessions that started in [start, end),
    from one aggregate query over the rows and one over the chunks' counts."""
    in_window = (
        RecordingSession.user_id == user_id,
        RecordingSession.start_time >= start,
        RecordingSession.start_time < end,
    )
    in_chunks = db.session.execute(
        select(SensorType.name, func.sum(SampleChunk.sample_count))
        .select_from(SampleChunk)
        .join(SensorType, SensorType.id == SampleChunk.sensor_type_id)
        .join(RecordingSession, RecordingSession.id == SampleChunk.recording_session_id)
        .where(*in_window)
        .group_by(SensorType.name)
    ).all()
    in_rows = db.session.execute(
        select(SensorType.name, func.count())
        .select_from(SensorData)
        .join(SensorType, SensorType.id == SensorData.sensor_type_id)
        .join(RecordingSession, RecordingSession.id == SensorData.recording_session_id)
        .where(*in_window)
        .group_by(SensorType.name)
    ).all()
    counts: dict[str, int] = {}
    for name, count in [*in_rows, *in_chunks]:
        counts[name] = counts.get(name, 0) + int(count)
    return sorted(counts.items())
