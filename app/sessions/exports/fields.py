"""The data fields of a session's samples: the columns of a wide export.

The columns are the session's registered keys (app/recordings/samples/fields.py): every
top-level key its samples brought, also one seen only in the middle of a recording, and at most
MAX_SESSION_SENSOR_KEYS of them (the ones registered first) when a session holds more — only
possible for data stored before the caps, or across several sensor types. CSV takes them as
they are. Parquet needs each column's type, so for it one pass over the session's samples,
done by the database, finds which of those keys hold values and of what kind (a key that no
stored sample holds any more then gets no column).
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from sqlalchemy import text

from app.database import is_postgres
from app.extensions import db
from app.recordings.samples.fields import session_fields

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
_NUMERIC = {"number", "integer", "real"}
RESERVED = ("sensor_type", "timestamp")


@dataclass(frozen=True)
class Field:
    key: str  # the key inside `data`
    column: str  # its column name (prefixed when it would clash with a fixed column)
    numeric: bool  # every value is a number or null (known only for typed fields)


def _column(key: str) -> str:
    return f"data.{key}" if key in RESERVED else key


def data_fields(
    session_pk: int, type_id: int | None = None, *, typed: bool = False
) -> tuple[list[Field], int]:
    """The session's data keys (of one sensor type if given), sorted, and how many keys were
    left out because the session holds more than the cap. `typed` finds each key's kind and
    drops keys that hold no value."""
    chosen = session_fields(session_pk, None if type_id is None else [type_id])
    if not typed or not chosen.names:
        return [Field(key, _column(key), False) for key in sorted(chosen.names)], chosen.omitted
    sql = _PG_KEYS if is_postgres() else _SQLITE_KEYS
    keys = chosen.names if is_postgres() else orjson.dumps(chosen.names).decode()
    params = {"session": session_pk, "keys": keys}
    if type_id is not None:
        sql += " AND d.sensor_type_id = :type"
        params["type"] = type_id
    kinds: dict[str, set[str]] = {}
    for key, kind in db.session.execute(text(sql), params):
        kinds.setdefault(key, set()).add(kind)
    fields = [Field(key, _column(key), kinds[key] - {"null"} <= _NUMERIC) for key in sorted(kinds)]
    return fields, chosen.omitted
