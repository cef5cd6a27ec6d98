"""How much storage a session's samples take: its chunks plus its remaining rows.

An estimate, cheap enough for every session detail: it reads chunk metadata and column sizes,
never decodes or fetches a payload, and measures at most ROW_SAMPLE rows per sensor type (the
newest, one index range each), scaled by that type's row count: an open session may hold
millions of rows, and summing over all of them would cost a scan of the session on every view.

What is counted, per backend:

- PostgreSQL, chunks: `pg_column_size` of the payload, the stamps and the field ranges (the
  size as stored, read from the TOAST pointer without fetching the value; a whole-row
  `pg_column_size(sample_chunks.*)` would fetch every payload), plus a fixed estimate of the
  rest of the row and its index entries (CHUNK_ROW_BYTES) and of the TOAST rows a payload is
  cut into (TOAST_ROW_BYTES per TOAST_CHUNK_BYTES).
- PostgreSQL, rows: `pg_column_size(sensor_data.*)` (tuple header and every column as stored)
  of the measured rows, plus a fixed estimate of the line pointer and the two index entries
  (ROW_INDEX_BYTES).
- SQLite: the length of the stored blobs (chunks) or JSON text (measured rows) plus a fixed
  estimate of everything else in the record and its index entries (SQLITE_CHUNK_ROW_BYTES,
  SQLITE_ROW_BYTES).

Not counted on either: free space inside pages (fill factor, dead tuples before VACUUM, the
unused end of an overflow page), and the upper levels of the B-trees. bench/storage_bench.py
measures real growth of the database instead; this is the per-session view of the same thing.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import text

from app.database import is_postgres
from app.extensions import db
from app.recordings.samples.locks import hold_for_reading

# PostgreSQL. A chunk row: tuple header (24) + line pointer (4) + nine fixed-width columns
# (56, aligned) + entries in the primary key (20), the unique key (36) and the span index (28).
CHUNK_ROW_BYTES = 168
# A value stored out of line is cut into TOAST rows of at most 1996 bytes (the default
# TOAST_MAX_CHUNK_SIZE); each costs a tuple header, line pointer, its own columns and an
# entry in the TOAST index: about 60 bytes.
TOAST_CHUNK_BYTES = 1996
TOAST_ROW_BYTES = 60
# Values below this stay in the row (TOAST_TUPLE_THRESHOLD, about 2 kB).
TOAST_THRESHOLD = 2032
# A sample row beyond pg_column_size: line pointer (4), primary-key entry (8 + 8 + 4 for its
# line pointer) and dedup-key entry (8 + 16 + 4).
ROW_INDEX_BYTES = 52

# SQLite. A sample row beyond its JSON text: record header (7), timestamp (6), two datetimes as
# text (2 × 26), session and sensor type (4), rowid and cell header (6), cell pointer (2), and
# the dedup index entry (about 21).
SQLITE_ROW_BYTES = 98
# A chunk row beyond its blobs: record header, seven numbers, two datetimes as text, cell
# header and pointer (about 110), and entries in the unique key and the span index (about 45).
SQLITE_CHUNK_ROW_BYTES = 155

_PG_CHUNKS = text(
    """
    SELECT sensor_type_id, sample_count, pg_column_size(payload) AS payload_bytes,
           pg_column_size(stamps) AS stamps_bytes,
           pg_column_size(field_ranges) AS meta_bytes
    FROM sample_chunks WHERE recording_session_id = :session
    """
)
_SQLITE_CHUNKS = text(
    """
    SELECT sensor_type_id, sample_count, length(payload) AS payload_bytes,
           length(stamps) AS stamps_bytes,
           length(field_ranges) AS meta_bytes
    FROM sample_chunks WHERE recording_session_id = :session
    """
)
# Rows measured per sensor type; sessions with fewer rows are counted exactly.
ROW_SAMPLE = 1000

_ROW_COUNTS = text(
    """
    SELECT sensor_type_id, count(*) FROM sensor_data WHERE recording_session_id = :session
    GROUP BY sensor_type_id
    """
)
_ROWS_MEASURED = """
    SELECT count(*), coalesce(sum({size}), 0)
    FROM (SELECT * FROM sensor_data
          WHERE recording_session_id = :session AND sensor_type_id = :type
          ORDER BY timestamp DESC LIMIT :limit) AS newest
"""
_PG_ROWS_MEASURED = text(_ROWS_MEASURED.format(size="pg_column_size(newest.*)"))
_SQLITE_ROWS_MEASURED = text(_ROWS_MEASURED.format(size="length(newest.data)"))


@dataclass(frozen=True)
class Footprint:
    """A session's samples and the bytes they take (an estimate, see the module)."""

    samples: int  # in chunks and in rows
    bytes: int
    bytes_per_sample: float | None  # None without samples
    chunks: int
    rows: int

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def session_footprint(session_pk: int, samples_by_type: dict[int, int] | None = None) -> Footprint:
    """Samples, stored bytes and bytes per sample of one session, without decoding a chunk.

    `samples_by_type` — every sample of the session per sensor type id, in rows and chunks, as
    app/recordings/samples/summary.py counts them — spares counting the rows a second time.
    """
    hold_for_reading(session_pk)  # a compaction in between would count samples twice or never
    postgres = is_postgres()
    params = {"session": session_pk}
    chunk_rows = db.session.execute(_PG_CHUNKS if postgres else _SQLITE_CHUNKS, params).all()
    rows_by_type = _rows_by_type(session_pk, samples_by_type, chunk_rows)
    rows = sum(rows_by_type.values())
    row_bytes = sum(_row_bytes(session_pk, t, n, postgres) for t, n in rows_by_type.items() if n)
    chunk_bytes = sum(
        _chunk_bytes(payload, stamps, meta, postgres) for _, _, payload, stamps, meta in chunk_rows
    )
    samples = rows + sum(int(count) for _, count, *_ in chunk_rows)
    total = chunk_bytes + row_bytes
    return Footprint(
        samples=samples,
        bytes=total,
        bytes_per_sample=round(total / samples, 2) if samples else None,
        chunks=len(chunk_rows),
        rows=rows,
    )


def _rows_by_type(
    session_pk: int, samples_by_type: dict[int, int] | None, chunk_rows: list
) -> dict[int, int]:
    if samples_by_type is None:
        counted = db.session.execute(_ROW_COUNTS, {"session": session_pk})
        return {type_id: int(count) for type_id, count in counted}
    rows = dict(samples_by_type)
    for type_id, count, *_ in chunk_rows:
        rows[type_id] = rows.get(type_id, 0) - int(count)
    return rows


def _row_bytes(session_pk: int, type_id: int, rows: int, postgres: bool) -> int:
    """Bytes of a sensor type's `rows` rows: the newest ROW_SAMPLE measured, scaled up."""
    params = {"session": session_pk, "type": type_id, "limit": ROW_SAMPLE}
    query = _PG_ROWS_MEASURED if postgres else _SQLITE_ROWS_MEASURED
    measured, measured_bytes = db.session.execute(query, params).one()
    if not measured:
        return 0
    per_row = int(measured_bytes) / int(measured) + (
        ROW_INDEX_BYTES if postgres else SQLITE_ROW_BYTES
    )
    return round(per_row * rows)


def _chunk_bytes(payload: int, stamps: int, meta: int, postgres: bool) -> int:
    if not postgres:
        return payload + stamps + meta + SQLITE_CHUNK_ROW_BYTES
    toast_rows = sum(
        math.ceil(size / TOAST_CHUNK_BYTES) for size in (payload, stamps) if size > TOAST_THRESHOLD
    )
    return payload + stamps + meta + CHUNK_ROW_BYTES + toast_rows * TOAST_ROW_BYTES
