"""Turning streamed sample rows into CSV, NDJSON or Parquet bytes.

Every writer yields `(chunk, samples in it)`, so the HTTP route can stream the bytes and the
CLI can also advance a progress bar. Rows come from `stream_samples` (server-side cursors), so
memory holds one chunk — one Parquet row group at most — whatever the session's size. CSV and
Parquet take samples stored in chunks as Arrow columns, a chunk's row group at a time
(app/recordings/samples/columns.py, columnar.py), and write the same bytes and rows.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterator
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from app.recordings.samples.columns import ColumnBatch, stream_batches
from app.recordings.samples.reading import SampleRange, stream_samples
from app.recordings.schemas import sample_fragments
from app.sessions.exports import columnar
from app.sessions.exports.cells import cell, spreadsheet_text
from app.sessions.exports.fields import Field

Chunks = Iterator[tuple[bytes, int]]
ROW_GROUP = 50_000
# Values buffered per Parquet row group, whatever the width: a row group of a session at the
# key cap (256 columns) would otherwise hold 12.8 million Python values (measured: +368 MB).
GROUP_VALUES = 1_000_000
FILE_CHUNK = 1024 * 1024
# Samples of a chunk's row group turned into CSV text at once, and at most so many cells: the
# text and the columns it is built from are a few MB, rather than tens for a whole row group
# (hundreds for a wide one).
CSV_PIECE = 8192
CSV_PIECE_CELLS = 262_144


def _release_unused() -> None:
    """Hand the memory Arrow freed back to the system after each row group: its allocator
    (mimalloc) otherwise keeps it, and a worker grew by 70 MB over one export while Arrow held
    under 10 MB (measured: 19 MB growth with this, and no slower)."""
    pa.default_memory_pool().release_unused()


def _csv_writer(buffer: io.StringIO):
    """Every text cell quoted (so a `;` inside cannot start a new cell where `;` separates
    cells), numbers unquoted so that they stay numbers."""
    return csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)


def csv_chunks(session_pk: int, wanted: SampleRange, fields: list[Field]) -> Chunks:
    """Wide CSV: `sensor_type,timestamp,<one column per data field>`, safe to open in a
    spreadsheet: text that would start a formula (header cells too) gets a leading `'`.

    Samples stored in chunks are written a row group at a time from their columns
    (columnar.py), rows one by one; both write the same text for the same sample."""
    buffer = io.StringIO()
    writer = _csv_writer(buffer)
    writer.writerow(["sensor_type", "timestamp", *(spreadsheet_text(f.column) for f in fields)])
    yield buffer.getvalue().encode(), 0
    buffer.seek(0)
    buffer.truncate()
    keys = [f.key for f in fields]
    piece_rows = max(1, min(CSV_PIECE, CSV_PIECE_CELLS // (len(fields) + 2)))
    for sensor_type, batch in stream_batches(session_pk, wanted):
        if isinstance(batch, ColumnBatch):
            for piece in batch.pieces(piece_rows):
                yield columnar.csv_block(sensor_type, piece, fields), len(piece)
            _release_unused()
            continue
        for timestamp, data in batch:
            values = orjson.loads(data)
            writer.writerow([sensor_type, timestamp, *(cell(values.get(k)) for k in keys)])
        yield buffer.getvalue().encode(), len(batch)
        buffer.seek(0)
        buffer.truncate()


def ndjson_chunks(session_pk: int, wanted: SampleRange) -> Chunks:
    """One `{"sensor_type", "timestamp", "data"}` object per line; data copied as stored."""
    for sensor_type, rows in stream_samples(session_pk, wanted):
        lines = sample_fragments(sensor_type, rows)
        yield ("\n".join(lines) + "\n").encode(), len(rows)


# Integers beyond this lose digits in a float64 column: pyarrow refuses them unless converted.
_EXACT_IN_FLOAT = 2**53


def _parquet_value(value: Any, numeric: bool) -> Any:
    if value is None:
        return value
    if numeric:  # a float64 column holds the nearest double of a larger integer
        return float(value) if isinstance(value, int) and abs(value) > _EXACT_IN_FLOAT else value
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def parquet_schema(fields: list[Field]) -> pa.Schema:
    """Numeric fields become float64 columns, the others text (JSON for non-strings)."""
    columns = [pa.field("sensor_type", pa.string()), pa.field("timestamp", pa.int64())]
    columns += [pa.field(f.column, pa.float64() if f.numeric else pa.string()) for f in fields]
    return pa.schema(columns)


def parquet_chunks(session_pk: int, wanted: SampleRange, fields: list[Field]) -> Chunks:
    """Write the Parquet file to a temporary file in row groups, then stream it and delete it.

    Samples stored in chunks go in as their columns (columnar.py), rows value by value; both
    are gathered into row groups of `group_rows` (a session's small chunks, as a push appends
    them, would otherwise make as many small row groups)."""
    schema = parquet_schema(fields)
    group_rows = min(ROW_GROUP, GROUP_VALUES // len(schema))
    handle, path = tempfile.mkstemp(suffix=".parquet")
    os.close(handle)
    try:
        with pq.ParquetWriter(path, schema) as writer:
            pending: list[pa.Table] = []

            def gather(table: pa.Table) -> None:
                pending.append(table)
                if sum(t.num_rows for t in pending) < group_rows:
                    return
                gathered = pa.concat_tables(pending)
                full = gathered.num_rows - gathered.num_rows % group_rows
                writer.write_table(gathered.slice(0, full), row_group_size=group_rows)
                pending[:] = [gathered.slice(full)]
                _release_unused()

            for sensor_type, batch in stream_batches(session_pk, wanted):
                if isinstance(batch, ColumnBatch):
                    # In pieces of a row group at most: a wide chunk's row group as one table
                    # would hold tens of millions of values.
                    for piece in batch.pieces(group_rows):
                        gather(columnar.parquet_table(sensor_type, piece, fields, schema))
                    yield b"", len(batch)
                    continue
                # Python values of at most one row group at a time (GROUP_VALUES).
                for start in range(0, len(batch), group_rows):
                    columns: dict[str, list] = {name: [] for name in schema.names}
                    for timestamp, data in batch[start : start + group_rows]:
                        values = orjson.loads(data)
                        columns["sensor_type"].append(sensor_type)
                        columns["timestamp"].append(timestamp)
                        for f in fields:
                            columns[f.column].append(_parquet_value(values.get(f.key), f.numeric))
                    gather(pa.table(columns, schema=schema))
                yield b"", len(batch)
            writer.write_table(pa.concat_tables([schema.empty_table(), *pending]))
        with open(path, "rb") as file:
            while chunk := file.read(FILE_CHUNK):
                yield chunk, 0
    finally:
        os.unlink(path)
