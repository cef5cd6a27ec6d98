"""Compaction: moving a session's rows into chunks, a bounded step per transaction.

Each step runs under the session's row lock (as every push does) and the movers' lock
(app/recordings/samples/locks.py), reads at most STEP_ROWS rows in (sensor type, timestamp)
order, writes them as chunks of at most CHUNK_SAMPLES samples and deletes them, then commits:
a sample is always in exactly one place. One huge transaction would hold SQLite's write lock
(and PostgreSQL's session lock) for as long as the whole session takes.

Chunks of one sensor type never overlap and no row lies inside a chunk's span, so that readers
can simply interleave rows and chunks by timestamp. Rows that arrived after a session was
compacted lie between chunks (a late write into a chunk's span unfolds it first,
app/recordings/samples/unfolding.py): they are cut at the existing chunks' spans, fill up the
chunk right before them while it has room, and the remainder becomes new chunks.

Samples keep their change stamps (compaction is not a change: a delta pull must not deliver
them again); values go through the exact codec (app/recordings/chunk_codec.py).
"""

from __future__ import annotations

import json
import time
from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from operator import itemgetter

from sqlalchemy import BigInteger, Integer, Text, and_, exists, or_, select, text

from app.database import begin_write_transaction, is_postgres
from app.extensions import db
from app.models import RecordingSession, SensorData
from app.models.base import UTCDateTime
from app.recordings.samples.chunks import (
    ChunkInfo,
    StampedSample,
    delete_chunks,
    list_chunks,
    stamped_samples,
    to_micros,
    write_chunk,
)
from app.recordings.samples.locks import try_hold_for_moving

CHUNK_SAMPLES = 50_000
STEP_ROWS = 100_000
# While readers hold the session, a step backs off and tries again, this often, then gives up
# (the next trigger carries on).
BUSY_RETRIES = 20
BUSY_WAIT_SECONDS = 0.5

_ROWS = """
    SELECT sensor_type_id, timestamp, {data} AS data, updated_at FROM sensor_data
    WHERE recording_session_id = :session
    ORDER BY sensor_type_id, timestamp LIMIT :limit
"""
_DELETE = text(
    "DELETE FROM sensor_data WHERE recording_session_id = :session"
    " AND sensor_type_id = :type AND timestamp BETWEEN :low AND :high"
)


@dataclass(frozen=True)
class Compacted:
    samples: int  # rows moved into chunks
    steps: int  # transactions committed that moved rows


def compact_session(
    session_pk: int, *, step_rows: int = STEP_ROWS, chunk_samples: int = CHUNK_SAMPLES
) -> Compacted:
    """Move every row of the session into chunks, one committed step at a time. Safe to run
    twice or concurrently with pushes; a session without rows costs one short transaction."""
    moved = steps = busy = 0
    while True:
        count = compact_step(session_pk, step_rows=step_rows, chunk_samples=chunk_samples)
        if count is None:
            busy += 1
            if busy > BUSY_RETRIES:
                return Compacted(moved, steps)
            time.sleep(BUSY_WAIT_SECONDS)
            continue
        if not count:
            return Compacted(moved, steps)
        moved, steps = moved + count, steps + 1


def compact_step(
    session_pk: int, *, step_rows: int = STEP_ROWS, chunk_samples: int = CHUNK_SAMPLES
) -> int | None:
    """One transaction: move up to `step_rows` rows into chunks and commit. Returns how many,
    None when readers hold the session right now (nothing was done)."""
    begin_write_transaction()
    query = select(RecordingSession.user_id).where(RecordingSession.id == session_pk)
    user_id = db.session.execute(query.with_for_update()).scalar()
    if user_id is None:
        db.session.rollback()
        return 0
    if not try_hold_for_moving(session_pk):
        db.session.rollback()
        return None
    rows = _oldest_rows(session_pk, step_rows)
    for type_id, group in groupby(rows, itemgetter(0)):
        samples = [(ts, json.loads(data), to_micros(stamp)) for _, ts, data, stamp in group]
        _fold(user_id, session_pk, type_id, samples, chunk_samples)
        params = {"session": session_pk, "type": type_id}
        db.session.execute(_DELETE, params | {"low": samples[0][0], "high": samples[-1][0]})
    db.session.commit()
    return len(rows)


def _oldest_rows(session_pk: int, limit: int) -> list:
    statement = text(_ROWS.format(data="data::text" if is_postgres() else "data")).columns(
        sensor_type_id=Integer, timestamp=BigInteger, data=Text, updated_at=UTCDateTime
    )
    return db.session.execute(statement, {"session": session_pk, "limit": limit}).all()


def _fold(
    user_id: int,
    session_pk: int,
    type_id: int,
    samples: list[StampedSample],
    chunk_samples: int,
) -> None:
    """Write one sensor type's rows (sorted) as chunks, never across an existing chunk."""
    chunks = list_chunks(session_pk, type_id)
    firsts = [chunk.first_timestamp for chunk in chunks]
    # Rows between the same two chunks form a segment; none lies inside a chunk.
    for gap, segment in groupby(samples, lambda s: bisect_left(firsts, s[0])):
        segment = list(segment)
        before = chunks[gap - 1] if gap else None
        if before is not None and before.sample_count < chunk_samples:
            room = chunk_samples - before.sample_count
            _append(user_id, session_pk, before, segment[:room])
            segment = segment[room:]
        for start in range(0, len(segment), chunk_samples):
            write_chunk(user_id, session_pk, type_id, segment[start : start + chunk_samples])


def _append(user_id: int, session_pk: int, chunk: ChunkInfo, samples: list[StampedSample]) -> None:
    """Replace `chunk` by one with `samples` (all later than its last) appended."""
    merged = stamped_samples(chunk.id) + samples
    delete_chunks([chunk.id])
    write_chunk(user_id, session_pk, chunk.sensor_type_id, merged)


def sessions_to_compact(idle_before: datetime, *, limit: int | None = None) -> list[int]:
    """Sessions that still hold rows and are closed, or active but without a push or change
    since `idle_before`; oldest first."""
    idle = and_(
        RecordingSession.updated_at < idle_before,
        or_(
            RecordingSession.last_synced_at.is_(None),
            RecordingSession.last_synced_at < idle_before,
        ),
    )
    query = (
        select(RecordingSession.id)
        .where(
            exists().where(SensorData.recording_session_id == RecordingSession.id),
            or_(RecordingSession.is_active.is_(False), idle),
        )
        .order_by(RecordingSession.id)
    )
    if limit is not None:
        query = query.limit(limit)
    found = list(db.session.scalars(query))
    db.session.rollback()
    return found
