"""A session's samples as Arrow columns where they are stored in chunks, for writers that build
their output column by column (the CSV and Parquet exports) rather than sample by sample.

`stream_batches` walks the samples in the order of `stream_samples` (reading.py): per sensor
type, by timestamp. It yields either rows, `(timestamp, data JSON text)` exactly as
`stream_samples` gives them, or one row group of a chunk as a `ColumnBatch`: the timestamps and
typed columns as stored, and the `rest` JSON, parsed only where a sample has one. No row lies
inside a chunk's span (merging.py), so the rows before a chunk's first timestamp come first,
then the chunk whole, then the next rows: nothing is interleaved sample by sample.

A chunk whose rest needed the standard library's JSON (an int beyond 64 bits, a lone surrogate)
is given as rows, like `stream_samples` gives it, so that such values read as they do there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pyarrow as pa
from sqlalchemy import text

from app.database import stream_rows
from app.recordings.chunk_layout import loads_rest
from app.recordings.chunk_parquet import ChunkFile, in_range
from app.recordings.samples.chunks import ChunkInfo, chunk_payload, data_text, list_chunks
from app.recordings.samples.merging import runs
from app.recordings.samples.reading import STREAM_CHUNK, SampleRange, rows_statement, types_to_read


@dataclass(frozen=True)
class ColumnBatch:
    """Samples of one row group of a chunk, in timestamp order."""

    timestamps: pa.Array  # int64
    # Per typed field: float32, float64 or int64 values, null where the sample has no typed
    # value (the field is absent, or its value is in the rest).
    typed: dict[str, pa.Array]
    # Per sample, the JSON of its keys that are not in a typed column (null when it has
    # none); None when no sample of the batch has any. Parsed only when asked (`rest`), so a
    # writer taking the batch in pieces holds the values of one piece at a time.
    rest_texts: pa.Array | None

    def __len__(self) -> int:
        return len(self.timestamps)

    @cached_property
    def rest(self) -> list[dict[str, Any] | None] | None:
        """Per sample, its keys that are not in a typed column (None when it has none)."""
        if self.rest_texts is None:
            return None
        texts = self.rest_texts.to_pylist()
        return [None if text_ is None else loads_rest(text_, "orjson") for text_ in texts]

    @cached_property
    def rest_values(self) -> dict[str, tuple[list[int], list[Any]]]:
        """Per key found in the rest: the samples holding it (positions) and its values, in
        one pass over the samples that have a rest, whatever the number of fields."""
        found: dict[str, tuple[list[int], list[Any]]] = {}
        for i, leftover in enumerate(self.rest or ()):
            if leftover is not None:
                for key, value in leftover.items():
                    rows, values = found.setdefault(key, ([], []))
                    rows.append(i)
                    values.append(value)
        return found

    def pieces(self, size: int) -> Iterator[ColumnBatch]:
        """The batch in consecutive slices of at most `size` samples (zero-copy)."""
        for offset in range(0, len(self), size):
            yield ColumnBatch(
                self.timestamps.slice(offset, size),
                {name: values.slice(offset, size) for name, values in self.typed.items()},
                None if self.rest_texts is None else self.rest_texts.slice(offset, size),
            )


Batch = list[tuple[int, str]] | ColumnBatch


def stream_batches(session_pk: int, wanted: SampleRange) -> Iterator[tuple[str, Batch]]:
    """`(sensor_type, batch)` of the samples `stream_samples` yields, in the same order: a
    batch is a list of rows `(timestamp, data JSON text)` or a ColumnBatch."""
    for type_id, name in types_to_read(session_pk, wanted):
        sql, params = rows_statement(name, wanted, None)
        params |= {"session": session_pk, "type": type_id}
        start, end = wanted.bounds(name)
        chunks = list_chunks(session_pk, type_id, start, None if end is None else end - 1)
        for run in runs(stream_rows(text(sql), params, STREAM_CHUNK), chunks):
            if isinstance(run, ChunkInfo):
                for batch in _chunk_batches(run.id, start, end):
                    yield name, batch
            else:
                yield name, run


def _chunk_batches(chunk_id: int, start: int | None, end: int | None) -> Iterator[Batch]:
    return payload_batches(chunk_payload(chunk_id), start, end)


def payload_batches(payload: bytes, start: int | None, end: int | None) -> Iterator[Batch]:
    """A chunk payload's samples with start <= timestamp < end, one row group at a time."""
    chunk = ChunkFile(payload)
    names = [name for name, _, _ in chunk.fields]
    for index in chunk.row_groups(start, end):
        # One thread: a few ms per row group either way, and the threads' allocator caches
        # would otherwise grow the process's memory by tens of MB.
        table = in_range(chunk.file.read_row_group(index, use_threads=False), start, end)
        if not table.num_rows:
            continue
        if chunk.rest_codec not in (None, "orjson"):
            yield [(ts, data_text(data)) for ts, data in chunk.samples(table)]
            continue
        typed = {name: _flat(table[f"c{i}"]) for i, name in enumerate(names)}
        # The rest as orjson wrote it (other codecs were given as rows above).
        rest = _flat(table["rest"]) if "rest" in table.column_names else None
        yield ColumnBatch(_flat(table["ts"]), typed, rest)


def chunk_kinds(chunk_id: int, keys: set[str], kind_of: Callable[[Any], str]) -> dict[str, set]:
    """The kinds (`kind_of(value)`) the chunk's samples hold under `keys`, without decoding the
    samples: a typed column holds numbers of its kind only (and at least one, or it would not
    exist), so its footer says its kind; only the rest is parsed."""
    chunk = ChunkFile(chunk_payload(chunk_id))
    kinds: dict[str, set] = {}
    for name, kind, _ in chunk.fields:
        if name in keys:
            kinds.setdefault(name, set()).add(kind_of(0 if kind == "int64" else 0.0))
    if chunk.rest_codec is None:
        return kinds
    for index in range(chunk.file.metadata.num_row_groups):
        texts = chunk.file.read_row_group(index, columns=["rest"], use_threads=False)["rest"]
        for text_ in texts.drop_null().to_pylist():
            for key, value in loads_rest(text_, chunk.rest_codec).items():
                if key in keys:
                    kinds.setdefault(key, set()).add(kind_of(value))
    return kinds


def _flat(column: pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
