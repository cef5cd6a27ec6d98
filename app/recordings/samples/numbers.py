"""Numeric data fields of one sensor type as numpy arrays, rows and chunks merged in timestamp
order: what charts, the GPS track and the analyses read when a sensor type has chunks.

A value counts as a number exactly when the database would call it one (a JSON number: not a
boolean, not a numeric string); anything else is NaN, as SQL's NULL is on the row path.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator
from itertools import islice
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy import text

from app.database import is_postgres, stream_rows
from app.extensions import db
from app.recordings.chunk_codec import decode_table, iter_samples
from app.recordings.samples.chunks import ChunkInfo, chunk_payload, list_chunks

Piece = tuple[np.ndarray, np.ndarray]  # timestamps (int64), values (float64, one column a field)
_BATCH = 10_000


def number_sql(param: str) -> str:
    """SQL for a data field as a float, NULL when absent or not a number."""
    if is_postgres():
        return (
            f"CASE WHEN jsonb_typeof(data -> :{param}) = 'number' "
            f"THEN (data -> :{param})::float8 END"
        )
    value = f"json_extract(data, :{param})"
    return f"CASE WHEN typeof({value}) IN ('integer', 'real') THEN {value} END"


def field_params(fields: list[str]) -> dict[str, str]:
    if is_postgres():
        return {f"f{i}": name for i, name in enumerate(fields)}
    return {f"f{i}": f'$."{name}"' for i, name in enumerate(fields)}


def as_number(value: Any) -> float:
    if type(value) not in (int, float):
        return np.nan
    try:
        return float(value)
    except OverflowError:  # an int beyond float64
        return np.nan


def number_pieces(
    session_pk: int,
    type_id: int,
    fields: list[str],
    start: int | None = None,
    end: int | None = None,
) -> Iterator[Piece]:
    """The sensor type's samples with start <= timestamp < end as (timestamps, values) pieces
    in timestamp order, a batch of rows or one chunk at a time."""
    chunks = list_chunks(session_pk, type_id, start, None if end is None else end - 1)
    rows = _row_pieces(session_pk, type_id, fields, start, end)
    pending: list[Piece] = []  # rows read but not yet given, all after the last chunk given
    for chunk in chunks:
        while not pending or pending[-1][0][-1] < chunk.first_timestamp:
            more = next(rows, None)
            if more is None:
                break
            pending.append(more)
        before, pending = _split(pending, chunk.first_timestamp)
        yield from before
        yield chunk_numbers(chunk, fields, start, end)
    yield from pending
    yield from rows


def _split(pieces: list[Piece], boundary: int) -> tuple[list[Piece], list[Piece]]:
    """The pieces' samples before `boundary`, and from it on (no piece left empty)."""
    before, after = [], []
    for ts, values in pieces:
        cut = int(np.searchsorted(ts, boundary))
        if cut:
            before.append((ts[:cut], values[:cut]))
        if cut < len(ts):
            after.append((ts[cut:], values[cut:]))
    return before, after


def _row_pieces(session_pk, type_id, fields, start, end) -> Iterator[Piece]:
    columns = "".join(f", {number_sql(f'f{i}')}" for i in range(len(fields)))
    sql = (
        f"SELECT timestamp{columns} FROM sensor_data"
        " WHERE recording_session_id = :session AND sensor_type_id = :type"
    )
    params = {"session": session_pk, "type": type_id} | field_params(fields)
    if start is not None:
        sql, params["start"] = sql + " AND timestamp >= :start", start
    if end is not None:
        sql, params["end"] = sql + " AND timestamp < :end", end
    for rows in stream_rows(text(sql + " ORDER BY timestamp"), params, _BATCH):
        ts = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        values = np.array([row[1:] for row in rows], dtype=np.float64).reshape(len(rows), -1)
        yield ts, values


def chunk_numbers(chunk: ChunkInfo, fields: list[str], start: int | None, end: int | None) -> Piece:
    """One chunk's numbers: straight from its typed columns when every field has one (no
    JSON parsed), else from its decoded samples."""
    payload = chunk_payload(chunk.id)
    if set(fields) <= set(chunk.field_ranges) and "timestamp" not in fields:
        table = decode_table(payload, start, end, fields)
        ts = table["timestamp"].to_numpy()
        columns = [
            table[name].cast(pa.float64(), safe=False).to_numpy(zero_copy_only=False)
            for name in fields
        ]
        values = np.column_stack(columns) if columns else np.empty((len(ts), 0))
        return ts, values.astype(np.float64, copy=False)
    samples = list(iter_samples(payload, start, end))
    ts = np.fromiter((t for t, _ in samples), dtype=np.int64, count=len(samples))
    values = np.array(
        [[as_number(data.get(name)) for name in fields] for _, data in samples], dtype=np.float64
    ).reshape(len(samples), len(fields))
    return ts, values


_FIRST_ROWS = (
    "SELECT timestamp, {data} FROM sensor_data"
    " WHERE recording_session_id = :session AND sensor_type_id = :type"
    " ORDER BY timestamp {order} LIMIT :n"
)


def edge_samples(session_pk: int, type_id: int, n: int) -> list[dict]:
    """The data of the sensor type's first `n` and last `n` samples, rows and chunks merged."""
    chunks = list_chunks(session_pk, type_id)
    data = "data::text" if is_postgres() else "data"
    params = {"session": session_pk, "type": type_id, "n": n}
    found: list[dict] = []
    for order, ordered_chunks in (("ASC", chunks), ("DESC", chunks[::-1])):
        statement = text(_FIRST_ROWS.format(data=data, order=order))
        rows = [(ts, json.loads(d)) for ts, d in db.session.execute(statement, params)]
        taken: list[tuple[int, dict]] = []
        for chunk in ordered_chunks:
            if len(taken) >= n:
                break
            samples = list(iter_samples(chunk_payload(chunk.id)))
            taken += samples[:n] if order == "ASC" else samples[::-1][:n]
        merged = heapq.merge(rows, taken, key=lambda s: s[0], reverse=order == "DESC")
        found += [data_ for _, data_ in islice(merged, n)]
    return found
