"""The `sample_chunks` table: writing a chunk, listing a session's chunks, decoding them, and
unfolding chunks back into rows for a late write.

A chunk is a payload of app/recordings/chunk_codec.py (exact `(timestamp, data)` pairs) plus
the change stamp of each sample, kept as its own small Parquet column (`stamps`, µs since the
epoch): compaction is not a change, so a delta pull must still see each sample's own stamp.
Stamps repeat (one per push), so the dictionary-encoded column takes a few bytes per chunk.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import and_, delete, insert, or_, select

from app.extensions import db
from app.models import SampleChunk
from app.recordings.chunk_codec import encode_chunk, iter_samples
from app.recordings.chunk_json import chunk_json

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)

# (timestamp, data, change stamp in µs since the epoch)
StampedSample = tuple[int, dict[str, Any], int]


def to_micros(stamp: datetime) -> int:
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return (stamp - EPOCH) // MICROSECOND


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def encode_stamps(micros: Sequence[int]) -> bytes:
    sink = pa.BufferOutputStream()
    table = pa.table({"stamp": pa.array(micros, type=pa.int64())})
    pq.write_table(table, sink, compression="zstd", use_dictionary=True, store_schema=False)
    return sink.getvalue().to_pybytes()


def decode_stamps(stamps: bytes) -> np.ndarray:
    return pq.read_table(pa.BufferReader(stamps))["stamp"].to_numpy()


def data_text(data: dict[str, Any]) -> str:
    """A sample's data as JSON text, like a row's stored text (whitespace aside)."""
    try:
        return orjson.dumps(data).decode()
    except TypeError:  # an int beyond 64 bits: the standard library writes it exactly
        return json.dumps(data, ensure_ascii=True, separators=(",", ":"))


@dataclass(frozen=True)
class ChunkInfo:
    """What a reader needs to know about a chunk before (or instead of) decoding it."""

    id: int
    sensor_type_id: int
    first_timestamp: int
    last_timestamp: int
    sample_count: int
    max_updated_at: datetime
    field_ranges: dict[str, list]


_INFO_COLUMNS = (
    SampleChunk.id,
    SampleChunk.sensor_type_id,
    SampleChunk.first_timestamp,
    SampleChunk.last_timestamp,
    SampleChunk.sample_count,
    SampleChunk.max_updated_at,
    SampleChunk.field_ranges,
)


def list_chunks(
    session_pk: int,
    type_id: int | None = None,
    low: int | None = None,
    high: int | None = None,
) -> list[ChunkInfo]:
    """The session's chunks (of one sensor type) whose span meets [low, high] (inclusive),
    ordered by (sensor type, first timestamp)."""
    query = select(*_INFO_COLUMNS).where(SampleChunk.recording_session_id == session_pk)
    if type_id is not None:
        query = query.where(SampleChunk.sensor_type_id == type_id)
    if low is not None:
        query = query.where(SampleChunk.last_timestamp >= low)
    if high is not None:
        query = query.where(SampleChunk.first_timestamp <= high)
    query = query.order_by(SampleChunk.sensor_type_id, SampleChunk.first_timestamp)
    return [ChunkInfo(*row) for row in db.session.execute(query)]


def chunks_meeting(session_pk: int, spans: dict[int, tuple[int, int]]) -> list[ChunkInfo]:
    """The session's chunks whose span meets the [low, high] given for their sensor type, in
    one query (the push path asks this of every batch)."""
    if not spans:
        return []
    meets = [
        and_(
            SampleChunk.sensor_type_id == type_id,
            SampleChunk.last_timestamp >= low,
            SampleChunk.first_timestamp <= high,
        )
        for type_id, (low, high) in spans.items()
    ]
    query = select(*_INFO_COLUMNS).where(
        SampleChunk.recording_session_id == session_pk, or_(*meets)
    )
    return [ChunkInfo(*row) for row in db.session.execute(query)]


def chunk_blobs(chunk_id: int) -> tuple[bytes, bytes]:
    """(payload, stamps) of a chunk listed in this transaction."""
    query = select(SampleChunk.payload, SampleChunk.stamps).where(SampleChunk.id == chunk_id)
    payload, stamps = db.session.execute(query).one()
    return payload, stamps


def chunk_payload(chunk_id: int) -> bytes:
    query = select(SampleChunk.payload).where(SampleChunk.id == chunk_id)
    return db.session.execute(query).scalar_one()


def chunk_samples(
    chunk_id: int, start: int | None = None, end: int | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """`(timestamp, data)` of the chunk's samples with start <= timestamp < end, in order."""
    return iter_samples(chunk_payload(chunk_id), start, end)


def stamped_samples(chunk_id: int) -> list[StampedSample]:
    """Every sample of the chunk with its change stamp (µs)."""
    payload, stamps = chunk_blobs(chunk_id)
    micros = decode_stamps(stamps).tolist()
    return [
        (ts, data, stamp) for (ts, data), stamp in zip(iter_samples(payload), micros, strict=True)
    ]


def chunk_sample_json(
    chunk_id: int, parts: tuple[str, str, str], since: datetime | None, *, follows: bool
) -> Iterator[bytes]:
    """The chunk's samples (those stamped at or after `since`, all without it) as JSON text:
    `head + timestamp + middle + data + tail` for `parts` = (head, middle, tail), joined by
    commas, in pieces of a few thousand samples (app/recordings/chunk_json.py; `follows`: a
    comma before the first piece too)."""
    if since is None:
        return chunk_json(chunk_payload(chunk_id), *parts, follows=follows)
    payload, stamps = chunk_blobs(chunk_id)
    keep = decode_stamps(stamps) >= to_micros(since)
    return chunk_json(payload, *parts, keep, follows=follows)


def write_chunk(
    user_id: int,
    session_pk: int,
    type_id: int,
    samples: Sequence[StampedSample],
    *,
    try_encodings: bool = True,
) -> None:
    """One chunk of `samples` (sorted by timestamp, unique), in the caller's transaction."""
    insert_chunks([chunk_values(user_id, session_pk, type_id, samples, try_encodings)])


def chunk_values(
    user_id: int,
    session_pk: int,
    type_id: int,
    samples: Sequence[StampedSample],
    try_encodings: bool = True,
) -> dict[str, Any]:
    """The `sample_chunks` row of one chunk of `samples` (sorted by timestamp, unique)."""
    encoded = encode_chunk([(ts, data) for ts, data, _ in samples], try_encodings=try_encodings)
    micros = [stamp for _, _, stamp in samples]
    meta = encoded.meta
    return {
        "user_id": user_id,
        "recording_session_id": session_pk,
        "sensor_type_id": type_id,
        "first_timestamp": meta.first_timestamp,
        "last_timestamp": meta.last_timestamp,
        "sample_count": meta.count,
        "max_updated_at": from_micros(max(micros)),
        "field_ranges": {f.name: [f.min, f.max] for f in meta.fields},
        "payload": encoded.payload,
        "stamps": encode_stamps(micros),
        "created_at": datetime.now(UTC),
    }


def insert_chunks(rows: list[dict[str, Any]]) -> None:
    """Insert chunk rows in one statement, through Core: the ORM's bulk path costs about a
    millisecond per chunk on the push path."""
    if rows:
        db.session.connection().execute(insert(SampleChunk.__table__), rows)


def delete_chunks(chunk_ids: Sequence[int]) -> None:
    if chunk_ids:
        db.session.execute(delete(SampleChunk).where(SampleChunk.id.in_(chunk_ids)))
