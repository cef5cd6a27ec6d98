"""Compressed column chunks: the samples of one (session, sensor type) as one payload (bytes)
and back, exactly. See docs/storage-codec.md.

Numbers go to typed columns (chunk_layout.py says which), the rest of each sample's `data` to
exact JSON; the payload is a Parquet file (chunk_parquet.py). Decoded `data` holds the same keys
and values as was encoded — the same float64 bits, ints as ints — and only the order of the
top-level keys may differ: typed fields first, in name order, then the others in the order
given. Time ranges are half-open, start <= timestamp < end, either bound optional. Payloads
may be any bytes-like object (psycopg2 gives a memoryview).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from app.recordings.chunk_layout import Layout, plan
from app.recordings.chunk_parquet import ZSTD_LEVEL, ChunkFile, with_spilled, write_payload

Sample = tuple[int, dict[str, Any]]


@dataclass(frozen=True)
class FieldStats:
    """A typed field: `nulls` counts samples without a typed value (absent or in the rest)."""

    name: str
    kind: str
    min: float | int
    max: float | int
    nulls: int


@dataclass(frozen=True)
class ChunkMeta:
    """What a table keeps beside the payload; `rest_count` samples have untyped keys."""

    count: int
    first_timestamp: int
    last_timestamp: int
    fields: tuple[FieldStats, ...]
    rest_count: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EncodedChunk:
    payload: bytes
    meta: ChunkMeta


def encode_chunk(
    samples: Sequence[Sample], *, level: int = ZSTD_LEVEL, try_encodings: bool = True
) -> EncodedChunk:
    """One payload for samples sorted by timestamp (unique int64 timestamps, dict data);
    `try_encodings=False` trades a little size for speed (chunk_parquet.UNTRIED)."""
    if not samples:
        raise ValueError("a chunk holds at least one sample")
    timestamps = _timestamps(samples)
    layout = plan([data for _, data in samples])
    payload = write_payload(timestamps, layout, level, try_encodings=try_encodings)
    return EncodedChunk(payload, _meta(timestamps, layout))


def iter_samples(
    payload: bytes, start: int | None = None, end: int | None = None
) -> Iterator[Sample]:
    """The samples with start <= timestamp < end, in order, one row group at a time."""
    chunk = ChunkFile(payload)
    groups = chunk.row_groups(start, end)
    # Each row group is read when the previous one is consumed; chain() adds no Python frame
    # per sample.
    return chain.from_iterable(chunk.samples(chunk.read_group(i, start, end)) for i in groups)


def decode_table(
    payload: bytes,
    start: int | None = None,
    end: int | None = None,
    fields: Iterable[str] | None = None,
) -> pa.Table:
    """For analysis: `timestamp` (int64) and the typed fields (float64 or int64, null where a
    sample has no number), without parsing JSON unless a field had values in the rest.

    `fields` picks some of the typed fields (unknown names are skipped); a data field called
    `timestamp` is left out, as that name is taken by the timestamps.
    """
    chunk = ChunkFile(payload)
    chosen = None if fields is None else set(fields)
    wanted = [
        i
        for i, (name, _, _) in enumerate(chunk.fields)
        if name != "timestamp" and (chosen is None or name in chosen)
    ]
    spilled = any(chunk.fields[i][2] for i in wanted)
    names = ["ts", *(f"c{i}" for i in wanted)] + (["rest"] if spilled else [])
    table = chunk.read(start, end, names)
    rest = chunk.parsed_rest(table) if spilled else []
    out = {"timestamp": table["ts"]}
    for i in wanted:
        name, kind, spilled_values = chunk.fields[i]
        column = table[f"c{i}"]
        if spilled_values:
            out[name] = with_spilled(column, name, rest)
        else:
            out[name] = column.cast(pa.float64()) if kind == "float32" else column
    return pa.table(out)


def decode_frame(
    payload: bytes,
    start: int | None = None,
    end: int | None = None,
    fields: Iterable[str] | None = None,
) -> pd.DataFrame:
    """decode_table() as a DataFrame (int columns with nulls become float64 with NaN)."""
    return decode_table(payload, start, end, fields).to_pandas()


def merge_samples(older: Iterable[Sample], newer: Iterable[Sample]) -> Iterator[Sample]:
    """`older` (sorted by timestamp) with `newer` laid over it: a timestamp in `newer` replaces
    the older sample whole (last write wins), new timestamps are inserted in order. `newer` may
    come in any order; of repeated timestamps in it the last wins. Streams `older`."""
    pending = sorted(dict(newer).items())
    position = 0
    for timestamp, data in older:
        while position < len(pending) and pending[position][0] < timestamp:
            yield pending[position]
            position += 1
        if position < len(pending) and pending[position][0] == timestamp:
            yield pending[position]
            position += 1
        else:
            yield timestamp, data
    yield from pending[position:]


def merge_chunk(
    payload: bytes, newer: Iterable[Sample], *, level: int = ZSTD_LEVEL
) -> EncodedChunk:
    """A new chunk of the payload's samples with `newer` laid over them (see merge_samples)."""
    return encode_chunk(list(merge_samples(iter_samples(payload), newer)), level=level)


def _timestamps(samples: Sequence[Sample]) -> np.ndarray:
    if not all(type(timestamp) is int for timestamp, _ in samples):
        raise TypeError("timestamps must be ints")
    try:
        timestamps = np.array([timestamp for timestamp, _ in samples], dtype=np.int64)
    except OverflowError:
        raise ValueError("timestamps must fit in 64 bits") from None
    if not (timestamps[1:] > timestamps[:-1]).all():  # np.diff would overflow
        raise ValueError("timestamps must be unique and sorted")
    return timestamps


def _meta(timestamps: np.ndarray, layout: Layout) -> ChunkMeta:
    stats = []
    for column in layout.columns:
        extremes = pc.min_max(column.values).as_py()
        stats.append(
            FieldStats(
                column.name, column.kind, extremes["min"], extremes["max"], column.values.null_count
            )
        )
    rest_count = 0 if layout.rest is None else len(layout.rest) - layout.rest.null_count
    first, last = int(timestamps[0]), int(timestamps[-1])
    return ChunkMeta(len(timestamps), first, last, tuple(stats), rest_count)
