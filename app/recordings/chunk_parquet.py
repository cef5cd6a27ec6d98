"""The Parquet side of a chunk: writing a planned layout as one payload, and reading it back.

A payload is a Parquet file compressed with zstd: `ts` (int64, delta-encoded), one column
`c<i>` per typed field and, when some sample needs it, `rest` (binary JSON). Its footer names
the fields (key FORMAT_KEY), so a payload decodes by itself. Row groups of ROW_GROUP_ROWS
samples carry timestamp statistics, so readers can skip to a time range and stop early.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from app.recordings.chunk_layout import INT64_MAX, INT64_MIN, Layout, loads_rest

FORMAT_KEY = "koodtx.chunk"
FORMAT_VERSION = 1
ROW_GROUP_ROWS = 32_768
ZSTD_LEVEL = 3
# Each typed column is written with whichever Parquet encoding makes it smallest on a trial of
# TRIAL_ROWS of its values: quantised sensor values repeat (a dictionary wins), noisy ones do
# not (byte-stream-split wins), slowly drifting ones compress best plain. A chunk written on
# the push path skips the trials (most of its encoding time) and takes the usual winner,
# UNTRIED; compaction writes it again with trials when it merges it.
TRIAL_ROWS = 16_384
UNTRIED = {"float32": "BYTE_STREAM_SPLIT", "float64": "BYTE_STREAM_SPLIT", "int64": "PLAIN"}
_CANDIDATES = {
    "float32": ("DICTIONARY", "BYTE_STREAM_SPLIT", "PLAIN"),
    "float64": ("DICTIONARY", "BYTE_STREAM_SPLIT", "PLAIN"),
    "int64": ("DICTIONARY", "DELTA_BINARY_PACKED", "PLAIN"),
}


def write_payload(
    timestamps: np.ndarray, layout: Layout, level: int, *, try_encodings: bool = True
) -> bytes:
    """The Parquet file of one chunk."""
    columns = {"ts": pa.array(timestamps)}
    columns |= {f"c{i}": column.values for i, column in enumerate(layout.columns)}
    if layout.rest is not None:
        columns["rest"] = layout.rest
    table = pa.table(columns)
    dictionary, encodings = ["rest"], {"ts": "DELTA_BINARY_PACKED"}
    for i, column in enumerate(layout.columns):
        best = UNTRIED[column.kind]
        if try_encodings:
            trial = _spread_sample(table[f"c{i}"])
            best = min(_CANDIDATES[column.kind], key=lambda e: _encoded_size(trial, e, level))
        if best == "DICTIONARY":
            dictionary.append(f"c{i}")
        else:
            encodings[f"c{i}"] = best
    header = {
        "version": FORMAT_VERSION,
        "fields": [[c.name, c.kind, c.spilled] for c in layout.columns],
        "rest": layout.rest_codec,
    }
    sink = pa.BufferOutputStream()
    options = {"use_dictionary": dictionary, "column_encoding": encodings}
    with pq.ParquetWriter(sink, table.schema, **_writer_options(level), **options) as writer:
        writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
        writer.add_key_value_metadata({FORMAT_KEY: json.dumps(header)})
    return sink.getvalue().to_pybytes()


def _spread_sample(values: pa.ChunkedArray, pieces: int = 4) -> pa.ChunkedArray:
    """About TRIAL_ROWS values from across the column, as its start may not be typical."""
    if len(values) <= TRIAL_ROWS:
        return values
    step, size = len(values) // pieces, TRIAL_ROWS // pieces
    return pa.chunked_array(
        [chunk for k in range(pieces) for chunk in values.slice(k * step, size).chunks]
    )


def _encoded_size(values: pa.ChunkedArray, encoding: str, level: int) -> int:
    sink = pa.BufferOutputStream()
    dictionary = encoding == "DICTIONARY"
    options = {"use_dictionary": dictionary, "column_encoding": None if dictionary else encoding}
    pq.write_table(pa.table({"v": values}), sink, **_writer_options(level), **options)
    return sink.tell()


def _writer_options(level: int) -> dict[str, Any]:
    # Statistics only for timestamps (row-group skipping); the Arrow schema is not stored, as
    # the Parquet types say all a reader needs.
    return {
        "compression": "zstd",
        "compression_level": level,
        "write_statistics": ["ts"],
        "store_schema": False,
    }


class ChunkFile:
    """An open payload: its Parquet file and the field list from its footer."""

    def __init__(self, payload: bytes) -> None:
        self.file = pq.ParquetFile(pa.BufferReader(payload))
        header = json.loads(self.file.metadata.metadata[FORMAT_KEY.encode()])
        if header["version"] != FORMAT_VERSION:
            raise ValueError(f"unknown chunk format version {header['version']}")
        # (name, kind, how many of its values are in the rest) per typed column c<i>.
        self.fields: list[tuple[str, str, int]] = [tuple(f) for f in header["fields"]]
        self.rest_codec: str | None = header["rest"]

    def read_group(self, index: int, start: int | None, end: int | None) -> pa.Table:
        """All columns of one row group, of the samples with start <= timestamp < end."""
        return in_range(self.file.read_row_group(index), start, end)

    def read(self, start: int | None, end: int | None, columns: list[str]) -> pa.Table:
        """`columns` of the samples with start <= timestamp < end."""
        groups = self.row_groups(start, end)
        if not groups:
            return self.file.schema_arrow.empty_table().select(columns)
        return in_range(self.file.read_row_groups(groups, columns=columns), start, end)

    def row_groups(self, start: int | None, end: int | None) -> list[int]:
        """Row groups that may hold timestamps in [start, end), by their statistics."""
        metadata = self.file.metadata
        found = []
        for index in range(metadata.num_row_groups):
            stats = metadata.row_group(index).column(0).statistics
            if (start is None or stats.max >= start) and (end is None or stats.min < end):
                found.append(index)
        return found

    def samples(self, table: pa.Table) -> Iterator[tuple[int, dict[str, Any]]]:
        """The samples of rows read from this payload, with `data` as it was encoded."""
        timestamps = table["ts"].to_numpy().tolist()
        rows = self._typed_rows(table)
        if "rest" in table.column_names:
            texts = table["rest"]
            present = np.flatnonzero(texts.is_valid().to_numpy(zero_copy_only=False))
            texts = texts.to_pylist()
            for i in present.tolist():
                rows[i].update(loads_rest(texts[i], self.rest_codec))
        return zip(timestamps, rows, strict=True)

    def _typed_rows(self, table: pa.Table) -> list[dict[str, Any]]:
        """One dict per row with its typed values (dicts built by Arrow, in C++)."""
        names = [name for name, _, _ in self.fields]
        if not names:
            return [{} for _ in range(table.num_rows)]
        typed = table.select([f"c{i}" for i in range(len(names))]).rename_columns(names)
        rows = typed.to_struct_array().to_pylist()
        holes = [~column.is_valid().to_numpy(zero_copy_only=False) for column in typed.columns]
        if any(hole.any() for hole in holes):
            # A null is a value the sample does not have (as a typed number): no key.
            for i in np.flatnonzero(np.logical_or.reduce(holes)).tolist():
                rows[i] = {k: v for k, v in rows[i].items() if v is not None}
        return rows

    def parsed_rest(self, table: pa.Table) -> list[dict | None]:
        texts = table["rest"].to_pylist()
        return [None if text is None else loads_rest(text, self.rest_codec) for text in texts]


def in_range(table: pa.Table, start: int | None, end: int | None) -> pa.Table:
    """The rows of `table` (sorted by `ts`) with start <= ts < end."""
    # numpy compares an int64 column with a bound beyond int64 as float64, which rounds
    # timestamps near the ends of the range: such a bound either excludes everything or
    # nothing, so it is settled here.
    if (start is not None and start > INT64_MAX) or (end is not None and end <= INT64_MIN):
        return table.slice(0, 0)
    start = None if start is None or start <= INT64_MIN else start
    end = None if end is None or end > INT64_MAX else end
    if start is None and end is None:
        return table
    timestamps = table["ts"].to_numpy()
    low = 0 if start is None else int(np.searchsorted(timestamps, start, "left"))
    high = len(timestamps) if end is None else int(np.searchsorted(timestamps, end, "left"))
    return table.slice(low, max(0, high - low))


def with_spilled(column: pa.ChunkedArray, name: str, rest: list[dict | None]) -> pa.Array:
    """float64 values of a field some of whose numbers are in the rest (e.g. `5` among floats)."""
    # Unsafe: an int above 2**53 becomes the nearest float64, which analysis accepts.
    values = np.array(column.cast(pa.float64(), safe=False).to_numpy(), dtype=np.float64)
    for i, leftover in enumerate(rest):
        number = None if leftover is None else leftover.get(name)
        if type(number) in (int, float):
            try:
                values[i] = float(number)
            except OverflowError:  # an int beyond float64: no number for analysis
                pass
    return pa.array(values, mask=np.isnan(values))
