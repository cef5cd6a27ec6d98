"""Reading what the analyses need with set-based queries: never a query or object per sample.

A session's samples become the long frame app/analysis expects (`sensor_type`, `timestamp`,
one float column per numeric data field). The numeric fields are discovered first from the
first and last `KEY_SAMPLE` samples of each sensor type (cheap index scans), then ONE query
reads every sample with those fields extracted by the database:

- PostgreSQL: `COPY (SELECT …, (data->>'x')::float8 …) TO STDOUT` into a buffer parsed by
  `pd.read_csv` (the fastest way from psycopg2 to numpy);
- SQLite: the same SELECT with `json_extract`, rows read in one `fetchall`.

Only top-level numeric fields are read (what the phone sends); a value that is not a number
in some row becomes NaN there.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import func, select, text

from app.analysis.signals import RESERVED_COLUMNS
from app.database import is_postgres
from app.extensions import db
from app.models import RecordingSession, SensorData, SensorType
from app.sync.sensor_types import session_sensor_types

KEY_SAMPLE = 50

_PG_NUMERIC_KEYS = text(
    """
    SELECT DISTINCT kv.key
    FROM (
        (SELECT data FROM sensor_data
         WHERE recording_session_id = :s AND sensor_type_id = :t ORDER BY timestamp LIMIT :n)
        UNION ALL
        (SELECT data FROM sensor_data
         WHERE recording_session_id = :s AND sensor_type_id = :t
         ORDER BY timestamp DESC LIMIT :n)
    ) AS picked
    CROSS JOIN LATERAL jsonb_each(picked.data) AS kv
    WHERE jsonb_typeof(kv.value) = 'number'
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
    WHERE j.type IN ('integer', 'real')
    """
)


@dataclass(frozen=True)
class SessionInfo:
    """What an analysis needs to know about a session besides its samples."""

    pk: int
    user_id: int
    session_id: str
    start_ms: int
    end_ms: int | None
    sample_rate: float | None
    is_active: bool
    updated_at: datetime


def _ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def session_info(session_pk: int) -> SessionInfo | None:
    row = db.session.execute(
        select(
            RecordingSession.id,
            RecordingSession.user_id,
            RecordingSession.session_id,
            RecordingSession.start_time,
            RecordingSession.end_time,
            RecordingSession.sample_rate,
            RecordingSession.is_active,
            RecordingSession.updated_at,
        ).where(RecordingSession.id == session_pk)
    ).one_or_none()
    if row is None:
        return None
    return SessionInfo(
        pk=row.id,
        user_id=row.user_id,
        session_id=row.session_id,
        start_ms=_ms(row.start_time),
        end_ms=_ms(row.end_time),
        sample_rate=row.sample_rate,
        is_active=row.is_active,
        updated_at=row.updated_at,
    )


def _usable(key: str) -> bool:
    return key not in RESERVED_COLUMNS and '"' not in key and "\\" not in key


def numeric_fields(session_pk: int) -> list[str]:
    """Names of the numeric data fields of a session, from a small sample of each sensor."""
    connection = db.session.connection()
    query = _PG_NUMERIC_KEYS if is_postgres() else _SQLITE_NUMERIC_KEYS
    found: set[str] = set()
    for type_id, _name in session_sensor_types(session_pk):
        params = {"s": session_pk, "t": type_id, "n": KEY_SAMPLE}
        found.update(k for (k,) in connection.execute(query, params))
    return sorted(k for k in found if _usable(k))


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
        f"SELECT t.name, d.timestamp{extracts} FROM sensor_data AS d"
        " JOIN sensor_types AS t ON t.id = d.sensor_type_id"
        " WHERE d.recording_session_id = %(session)s"
    )
    params = {"session": session_pk} | {f"k{i}": key for i, key in enumerate(fields)}
    raw = db.session.connection().connection.driver_connection
    buffer = io.BytesIO()
    with raw.cursor() as cursor:
        statement = cursor.mogrify(query, params).decode()
        cursor.copy_expert(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)", buffer)
    if buffer.tell() == 0:
        return _empty(fields)
    buffer.seek(0)
    dtypes = {"sensor_type": "category", "timestamp": "int64"} | dict.fromkeys(fields, "float64")
    return pd.read_csv(
        buffer, header=None, names=["sensor_type", "timestamp", *fields], dtype=dtypes
    )


def _sqlite_frame(session_pk: int, fields: list[str]) -> pd.DataFrame:
    extracts = "".join(
        f", CASE WHEN json_type(d.data, :p{i}) IN ('integer', 'real')"
        f" THEN json_extract(d.data, :p{i}) END"
        for i in range(len(fields))
    )
    query = text(
        f"SELECT t.name, d.timestamp{extracts} FROM sensor_data AS d"
        " JOIN sensor_types AS t ON t.id = d.sensor_type_id"
        " WHERE d.recording_session_id = :session"
    )
    params = {"session": session_pk} | {f"p{i}": f'$."{key}"' for i, key in enumerate(fields)}
    rows = db.session.connection().execute(query, params).fetchall()
    if not rows:
        return _empty(fields)
    frame = pd.DataFrame.from_records(rows, columns=["sensor_type", "timestamp", *fields])
    frame["sensor_type"] = frame["sensor_type"].astype("category")
    frame["timestamp"] = frame["timestamp"].astype("int64")
    if fields:
        frame[fields] = frame[fields].astype("float64")
    return frame


def load_samples(session_pk: int) -> pd.DataFrame:
    """Every sample of one session as the analysis frame (one query over the samples)."""
    fields = numeric_fields(session_pk)
    if is_postgres():
        return _pg_frame(session_pk, fields)
    return _sqlite_frame(session_pk, fields)


def load_user_sessions(user_id: int, start: datetime, end: datetime) -> pd.DataFrame:
    """The user's sessions that started in [start, end), as a small frame."""
    rows = db.session.execute(
        select(
            RecordingSession.start_time,
            RecordingSession.end_time,
            RecordingSession.data_count,
            RecordingSession.enabled_sensors,
        ).where(
            RecordingSession.user_id == user_id,
            RecordingSession.start_time >= start,
            RecordingSession.start_time < end,
        )
    ).all()
    return pd.DataFrame(rows, columns=["start_time", "end_time", "data_count", "enabled_sensors"])


def load_sensor_counts(user_id: int, start: datetime, end: datetime) -> pd.DataFrame:
    """Samples stored per sensor type over those sessions (one aggregate query)."""
    rows = db.session.execute(
        select(SensorType.name, func.count())
        .select_from(SensorData)
        .join(SensorType, SensorType.id == SensorData.sensor_type_id)
        .join(RecordingSession, RecordingSession.id == SensorData.recording_session_id)
        .where(
            RecordingSession.user_id == user_id,
            RecordingSession.start_time >= start,
            RecordingSession.start_time < end,
        )
        .group_by(SensorType.name)
    ).all()
    return pd.DataFrame(rows, columns=["sensor_type", "count"])
