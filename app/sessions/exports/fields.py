"""The data fields of a session's samples: the columns of a wide export.

The columns are the session's registered keys (app/recordings/samples/fields.py): every
top-level key its samples brought, also one seen only in the middle of a recording, and at most
MAX_SESSION_SENSOR_KEYS of them (the ones registered first) when a session holds more — only
possible for data stored before the caps, or across several sensor types. CSV takes them as
they are. Parquet needs each column's type, so for it one pass over the session's samples,
done by the database (app/recordings/samples/summary.py), finds which of those keys hold
values and of what kind (a key that no stored sample holds any more then gets no column).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.recordings.samples.fields import session_fields
from app.recordings.samples.summary import key_kinds

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
    kinds = key_kinds(session_pk, chosen.names, type_id)
    fields = [Field(key, _column(key), kinds[key] - {"null"} <= _NUMERIC) for key in sorted(kinds)]
    return fields, chosen.omitted
