"""The registry of data keys per session and sensor type (`sample_fields`): the ingest side
caps it, the readers take their columns from it.

Ingest (`admit_samples`) runs under the session lock every writer holds
(app/recordings/last_write_wins.py), so the keys it reads are exactly the stored ones and two
pushes to one session cannot both take the last free places. It costs one small query per
batch, plus an insert when a batch brings keys not seen before; it never reads the session's
samples.

Which samples a full (session, sensor type) keeps: samples are considered in the batch's order
after de-duplication — per sensor type, by timestamp — so the outcome does not depend on how
the client ordered its batch. A sample whose new keys would take the pair past the cap is
skipped; later samples that fit (for example ones using only known keys) are kept.

Readers (`session_fields`) take at most the cap's number of keys across the sensor types they
read, in registry order, so a session stored before the caps (or one with many sensor types)
still gives a bounded number of columns. Registry order is arrival order; keys the upgrade
found in stored samples come first, the most used first (migrations/versions/0006), so a
session filled with one-off keys before the caps keeps its real fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain, groupby
from operator import itemgetter

import orjson
from flask import current_app
from sqlalchemy import bindparam, text

from app.database import is_postgres
from app.extensions import db
from app.recordings.samples.sensor_types import ensure_sensor_types

# What a batch needs to know of its sensor types, in one round trip (a small batch's time is
# mostly round trips): their ids, the keys the session holds for each, where the session's
# chunks of each end (the last chunk's end: chunks never overlap), so a batch after them
# needs no look at the chunks (app/recordings/samples/unfolding.py), and the newest row of
# each, so a batch after both may be written as a chunk (app/recordings/samples/appending.py).
# Both ends are one backward step on an index.
_KNOWN = text(
    """
    SELECT t.name, t.id, f.name, (
        SELECT c.last_timestamp FROM sample_chunks AS c
        WHERE c.recording_session_id = :session AND c.sensor_type_id = t.id
        ORDER BY c.first_timestamp DESC LIMIT 1
    ), (
        SELECT d.timestamp FROM sensor_data AS d
        WHERE d.recording_session_id = :session AND d.sensor_type_id = t.id
        ORDER BY d.timestamp DESC LIMIT 1
    )
    FROM sensor_types AS t
    LEFT JOIN sample_fields AS f
        ON f.sensor_type_id = t.id AND f.recording_session_id = :session
    WHERE t.name IN :names
    """
).bindparams(bindparam("names", expanding=True))

# New names keep the order they arrived in (ids grow with it); none can exist already (the
# session lock), DO NOTHING only guards the invariant.
_PG_REGISTER = text(
    """
    INSERT INTO sample_fields (recording_session_id, sensor_type_id, name)
    SELECT :session, f.type_id, f.name
    FROM unnest(CAST(:types AS int[]), CAST(:names AS text[])) WITH ORDINALITY
         AS f(type_id, name, position)
    ORDER BY f.position
    ON CONFLICT DO NOTHING
    """
)
_SQLITE_REGISTER = text(
    """
    INSERT INTO sample_fields (recording_session_id, sensor_type_id, name)
    SELECT :session, json_extract(value, '$[0]'), json_extract(value, '$[1]')
    FROM json_each(:fields) WHERE true ORDER BY key
    ON CONFLICT DO NOTHING
    """
)

# The first `limit` distinct names of the session (of some sensor types) in registry order, and
# how many distinct names there are in all.
_FIELDS = """
    SELECT name, count(*) OVER () FROM (
        SELECT name, min(id) AS first FROM sample_fields
        WHERE recording_session_id = :session{types}
        GROUP BY name
    ) AS named
    ORDER BY first LIMIT :limit
"""


@dataclass(frozen=True)
class Admission:
    kept: list[dict]  # the samples to store, in the order given
    refused: list[tuple[int, str]]  # (position in the batch, error) of the samples skipped
    type_ids: dict[str, int]  # the id of every sensor type of the batch
    chunked_until: dict[int, int]  # the end of the session's last chunk, per sensor type id
    rows_until: dict[int, int]  # the session's newest row, per sensor type id

    def stored_until(self) -> dict[int, int]:
        """The session's newest sample, row or chunk, per sensor type id."""
        newest = self.rows_until.copy()
        for type_id, end in self.chunked_until.items():
            newest[type_id] = max(end, newest.get(type_id, end))
        return newest


def admit_samples(session_pk: int, samples: list[dict], cap: int) -> Admission:
    """Keep the samples whose keys fit the session's cap per sensor type; register new keys
    (and sensor types not seen before).

    `samples` are de-duplicated and sorted by (sensor_type, timestamp), as the upsert takes
    them. Must run under the session lock.
    """
    if not samples:
        return Admission(samples, [], {}, {}, {})
    type_ids, known, chunked_until, rows_until = _known(
        session_pk, {sample["sensor_type"] for sample in samples}
    )
    added: list[tuple[int, str]] = []
    refused: list[tuple[int, str]] = []
    position = 0
    for sensor_type, group in groupby(samples, itemgetter("sensor_type")):
        group = list(group)
        type_id = type_ids[sensor_type]
        names = known.setdefault(type_id, set())
        datas = [sample["data"] for sample in group]
        if not names.issuperset(chain.from_iterable(datas)):
            new = _admit_type(names, datas, cap)
            added += [(type_id, name) for name in new.names]
            refused += [
                (position + offset, _refusal(sensor_type, cap, key)) for offset, key in new.refused
            ]
        position += len(group)
    if added:
        _register(session_pk, added)
    if not refused:
        return Admission(samples, [], type_ids, chunked_until, rows_until)
    skipped = {index for index, _ in refused}
    kept = [s for i, s in enumerate(samples) if i not in skipped]
    return Admission(kept, refused, type_ids, chunked_until, rows_until)


@dataclass(frozen=True)
class _TypeAdmission:
    names: list[str]  # newly registered, in arrival order
    refused: list[tuple[int, str]]  # (offset in the group, first key that did not fit)


def _admit_type(names: set[str], datas: list[dict], cap: int) -> _TypeAdmission:
    """Add the new keys of one sensor type's samples to `names` while they fit under `cap`."""
    room = cap - len(names)
    fresh: dict[str, None] = {}  # new keys in arrival order; never more than room + 1
    for key in chain.from_iterable(datas):
        if key not in names and key not in fresh:
            fresh[key] = None
            if len(fresh) > room:
                break
    else:  # the usual case: everything fits
        names.update(fresh)
        return _TypeAdmission(list(fresh), [])
    added: list[str] = []
    refused: list[tuple[int, str]] = []
    for offset, data in enumerate(datas):
        new = [key for key in data if key not in names]
        if new and len(names) + len(new) > cap:  # a session stored before the cap may be over it
            refused.append((offset, new[0]))
            continue
        names.update(new)
        added += new
    return _TypeAdmission(added, refused)


def _refusal(sensor_type: str, cap: int, key: str) -> str:
    return (
        f'data: key "{key}" would take {sensor_type} past the {cap} distinct data keys a '
        "session may hold per sensor type"
    )


def _known(
    session_pk: int, names: set[str]
) -> tuple[dict[str, int], dict[int, set[str]], dict[int, int], dict[int, int]]:
    """The ids of the sensor types `names`, the keys the session holds for each, the end of
    the session's last chunk of each and its newest row of each (types without left out)."""
    type_ids: dict[str, int] = {}
    known: dict[int, set[str]] = {}
    chunked_until: dict[int, int] = {}
    rows_until: dict[int, int] = {}
    rows = db.session.execute(_KNOWN, {"session": session_pk, "names": list(names)})
    for type_name, type_id, field, chunks_end, rows_end in rows:
        type_ids[type_name] = type_id
        if field is not None:
            known.setdefault(type_id, set()).add(field)
        if chunks_end is not None:
            chunked_until[type_id] = chunks_end
        if rows_end is not None:
            rows_until[type_id] = rows_end
    if len(type_ids) < len(names):  # a sensor type never seen before: no keys, no samples
        type_ids = ensure_sensor_types(names)
    return type_ids, known, chunked_until, rows_until


def _register(session_pk: int, fields: list[tuple[int, str]]) -> None:
    if is_postgres():
        params = {
            "session": session_pk,
            "types": [type_id for type_id, _ in fields],
            "names": [name for _, name in fields],
        }
        db.session.execute(_PG_REGISTER, params)
    else:
        params = {"session": session_pk, "fields": orjson.dumps(fields).decode()}
        db.session.execute(_SQLITE_REGISTER, params)


@dataclass(frozen=True)
class SessionFields:
    names: list[str]  # at most the cap, in registry order
    total: int  # distinct names the session holds (for these sensor types)

    @property
    def omitted(self) -> int:
        return self.total - len(self.names)


# The analysis loader selects one column per field: PostgreSQL allows 1,664, SQLite 2,000.
COLUMN_CEILING = 1000


def column_cap() -> int:
    """How many data keys a reader turns into columns."""
    return min(current_app.config["MAX_SESSION_SENSOR_KEYS"], COLUMN_CEILING)


def session_fields(session_pk: int, type_ids: Iterable[int] | None = None) -> SessionFields:
    """The data keys of a session (of the given sensor types), at most `column_cap()` of them."""
    params: dict = {"session": session_pk, "limit": column_cap()}
    types = ""
    if type_ids is not None:
        params["types"] = list(type_ids)
        if not params["types"]:
            return SessionFields([], 0)
        types = " AND sensor_type_id IN :types"
    statement = text(_FIELDS.format(types=types))
    if type_ids is not None:
        statement = statement.bindparams(bindparam("types", expanding=True))
    rows = db.session.execute(statement, params).all()
    return SessionFields([name for name, _ in rows], rows[0][1] if rows else 0)
