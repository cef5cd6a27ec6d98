"""Reading a session's samples in (sensor_type, timestamp) order, one index range per type.

Shared by the paginated data endpoint, the exports and pull: no query sorts, each walks the dedup
index `(session, sensor_type_id, timestamp)` of one sensor type, and the sensor type's chunks in
that range are interleaved (app/recordings/samples/merging.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import chain, islice

from sqlalchemy import bindparam, text

from app.database import is_postgres, stream_rows
from app.extensions import db
from app.models.base import UTCDateTime
from app.recordings import cursors
from app.recordings.samples.chunks import ChunkInfo, chunk_sample_json, list_chunks
from app.recordings.samples.locks import hold_for_reading
from app.recordings.samples.merging import batches, chunk_texts, interleave, runs
from app.recordings.samples.sensor_types import session_sensor_types
from app.recordings.schemas import sample_fragment_parts, sample_fragments

STREAM_CHUNK = 5000


@dataclass(frozen=True)
class SampleRange:
    """Which samples to read: optionally one sensor type, a [start, end) window, a position."""

    sensor_type: str | None = None
    start: int | None = None
    end: int | None = None
    after: tuple[str, int] | None = None  # (sensor_type, timestamp) of the last row seen

    def bounds(self, sensor_type: str) -> tuple[int | None, int | None]:
        """The [start, end) of timestamps to read of `sensor_type`, the position included."""
        start = self.start
        if self.after is not None and self.after[0] == sensor_type:
            after = self.after[1] + 1
            start = after if start is None else max(start, after)
        return start, self.end


def types_to_read(session_pk: int, wanted: SampleRange) -> list[tuple[int, str]]:
    hold_for_reading(session_pk)
    types = session_sensor_types(session_pk)
    if wanted.sensor_type is not None:
        types = [t for t in types if t[1] == wanted.sensor_type]
    if wanted.after is not None:
        types = [t for t in types if t[1] >= wanted.after[0]]
    return types


def rows_statement(name: str, wanted: SampleRange, limit: int | None) -> tuple[str, dict]:
    data = "data::text" if is_postgres() else "data"
    sql = (
        f"SELECT timestamp, {data} FROM sensor_data"
        " WHERE recording_session_id = :session AND sensor_type_id = :type"
    )
    params: dict = {}
    if wanted.start is not None:
        sql += " AND timestamp >= :start"
        params["start"] = wanted.start
    if wanted.end is not None:
        sql += " AND timestamp < :end"
        params["end"] = wanted.end
    if wanted.after is not None and wanted.after[0] == name:
        sql += " AND timestamp > :after"
        params["after"] = wanted.after[1]
    sql += " ORDER BY timestamp"
    if limit is not None:
        sql += " LIMIT :limit"
        params["limit"] = limit
    return sql, params


def _chunked(session_pk: int, type_id: int, name: str, wanted: SampleRange):
    return chunk_texts(session_pk, type_id, *wanted.bounds(name))


def page_of_samples(
    session_pk: int, wanted: SampleRange, limit: int
) -> tuple[list[tuple[str, int, str]], str | None]:
    """Up to `limit` rows `(sensor_type, timestamp, data JSON text)` and the next cursor."""
    rows: list[tuple[str, int, str]] = []
    connection = db.session.connection()
    for type_id, name in types_to_read(session_pk, wanted):
        sql, params = rows_statement(name, wanted, limit + 1 - len(rows))
        params |= {"session": session_pk, "type": type_id}
        found = connection.execute(text(sql), params).all()
        merged = interleave(found, _chunked(session_pk, type_id, name, wanted))
        rows.extend((name, ts, data) for ts, data in islice(merged, limit + 1 - len(rows)))
        if len(rows) > limit:
            break
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, cursors.encode_sample_cursor(rows[-1][0], rows[-1][1])


def stream_samples(session_pk: int, wanted: SampleRange) -> Iterator[tuple[str, list[tuple]]]:
    """`(sensor_type, rows of (timestamp, data JSON text))` in chunks, via server-side cursors."""
    for type_id, name in types_to_read(session_pk, wanted):
        sql, params = rows_statement(name, wanted, None)
        params |= {"session": session_pk, "type": type_id}
        streamed = stream_rows(text(sql), params, STREAM_CHUNK)
        chunked = _chunked(session_pk, type_id, name, wanted)
        if chunked is None:
            for rows in streamed:
                yield name, rows
            continue
        for rows in batches(interleave(chain.from_iterable(streamed), chunked), STREAM_CHUNK):
            yield name, rows


_SAMPLES_SQL = {
    "postgresql": "SELECT timestamp, data::text FROM sensor_data",
    "sqlite": "SELECT timestamp, data FROM sensor_data",
}


def changed_sample_json(
    session_pk: int, since: datetime | None, chunk: int = STREAM_CHUNK
) -> Iterator[bytes]:
    """The samples changed since `since` (all without it) as `SampleOut` JSON texts joined by
    commas, in (sensor_type, timestamp) order, in pieces (each but the first starting with its
    comma): what pull sends as a session's `sensor_data`. Rows are copied as stored, without
    parsing, from one index range scan per sensor type, so nothing is sorted; chunks are
    written from their columns (app/recordings/chunk_json.py), a row group at a time."""
    sql = (
        _SAMPLES_SQL[db.engine.dialect.name]
        + " WHERE recording_session_id = :session AND sensor_type_id = :type"
    )
    if since is not None:
        sql += " AND updated_at >= :since"
    statement = text(sql + " ORDER BY timestamp")
    if since is not None:
        statement = statement.bindparams(bindparam("since", type_=UTCDateTime()))
    hold_for_reading(session_pk)
    follows = False
    for type_id, name in session_sensor_types(session_pk):
        parts = sample_fragment_parts(name)
        params = {"session": session_pk, "type": type_id, "since": since}
        streamed = stream_rows(statement, params, chunk)
        chunks = list_chunks(session_pk, type_id)
        if since is not None:
            # A chunk whose newest stamp is older holds nothing to send: not even read.
            chunks = [info for info in chunks if info.max_updated_at >= since]
        for run in runs(streamed, chunks):
            if isinstance(run, ChunkInfo):
                for piece in chunk_sample_json(run.id, parts, since, follows=follows):
                    yield piece
                    follows = True
            else:
                texts = ",".join(sample_fragments(name, run))
                yield (f",{texts}" if follows else texts).encode()
                follows = True
