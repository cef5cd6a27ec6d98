"""The data fields of a session's samples: the columns of a wide export.

Discovery is exact (one pass over the session's samples, done by the database) rather than
sampled: a field seen only in the middle of a recording must still get its column.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from app.database import is_postgres
from app.extensions import db

_PG_KEYS = """
    SELECT DISTINCT kv.key, jsonb_typeof(kv.value)
    FROM sensor_data AS d CROSS JOIN LATERAL jsonb_each(d.data) AS kv
    WHERE d.recording_session_id = :session
"""
_SQLITE_KEYS = """
    SELECT DISTINCT j.key, j.type FROM sensor_data AS d, json_each(d.data) AS j
    WHERE d.recording_session_id = :session
"""
_NUMERIC = {"number", "integer", "real"}
RESERVED = ("sensor_type", "timestamp")


@dataclass(frozen=True)
class Field:
    key: str  # the key inside `data`
    column: str  # its column name (prefixed when it would clash with a fixed column)
    numeric: bool  # every value is a number or null


def data_fields(session_pk: int, type_id: int | None = None) -> list[Field]:
    """Every top-level data key of the session (of one sensor type if given), sorted."""
    sql = _PG_KEYS if is_postgres() else _SQLITE_KEYS
    params = {"session": session_pk}
    if type_id is not None:
        sql += " AND d.sensor_type_id = :type"
        params["type"] = type_id
    kinds: dict[str, set[str]] = {}
    for key, kind in db.session.execute(text(sql), params):
        kinds.setdefault(key, set()).add(kind)
    return [
        Field(key, f"data.{key}" if key in RESERVED else key, kinds[key] - {"null"} <= _NUMERIC)
        for key in sorted(kinds)
    ]
