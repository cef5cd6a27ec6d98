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

Pushes write large append-only groups straight as chunks of a push's size (a few thousand
samples, app/recordings/samples/appending.py). Once the rows are moved, compaction merges runs
of adjacent chunks while one of them is small (under a fifth of CHUNK_SAMPLES: SMALL_CHUNK),
up to CHUNK_SAMPLES + SMALL_CHUNK samples, so that at most one small chunk per sensor type
remains, the newest: a session with two small chunks of one type is a session to compact.

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

from sqlalchemy import (
    BigInteger,
    Integer,
    Text,
    and_,
    exists,
    func,
    literal_column,
    or_,
    select,
    text,
)

from app.database import begin_write_transaction, is_postgres
from app.extensions import db
from app.models import RecordingSession, SampleChunk, SensorData
from app.models.base import UTCDateTime
from app.models.sample_chunk import SMALL_CHUNK_SAMPLES as SMALL_CHUNK
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

CHUNK_SAMPLES = 5 * SMALL_CHUNK
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
    steps: int  # transactions committed that moved rows or merged chunks
    merged: int = 0  # small chunks merged into others


def compact_session(
    session_pk: int, *, step_rows: int = STEP_ROWS, chunk_samples: int = CHUNK_SAMPLES
) -> Compacted:
    """Move every row of the session into chunks, then merge its small chunks, one committed
    step at a time. Safe to run twice or concurrently with pushes; a session without rows or
    small chunks costs two short transactions."""
    moved, steps, busy = 0, 0, [0]
    while count := _retrying(compact_step, session_pk, step_rows, chunk_samples, busy):
        moved, steps = moved + count, steps + 1
    merged = 0
    while count := _retrying(merge_step, session_pk, step_rows, chunk_samples, busy):
        merged, steps = merged + count, steps + 1
    return Compacted(moved, steps, merged)


def _retrying(step, session_pk: int, step_rows: int, chunk_samples: int, busy: list[int]) -> int:
    """Run `step` until it is not refused by readers holding the session, or too often."""
    while True:
        count = step(session_pk, step_rows=step_rows, chunk_samples=chunk_samples)
        if count is not None:
            return count
        busy[0] += 1
        if busy[0] > BUSY_RETRIES:
            return 0
        time.sleep(BUSY_WAIT_SECONDS)


def compact_step(
    session_pk: int, *, step_rows: int = STEP_ROWS, chunk_samples: int = CHUNK_SAMPLES
) -> int | None:
    """One transaction: move up to `step_rows` rows into chunks and commit. Returns how many,
    None when readers hold the session right now (nothing was done)."""
    user_id = _hold(session_pk)
    if not user_id:
        return user_id
    rows = _oldest_rows(session_pk, step_rows)
    for type_id, group in groupby(rows, itemgetter(0)):
        samples = [(ts, json.loads(data), to_micros(stamp)) for _, ts, data, stamp in group]
        _fold(user_id, session_pk, type_id, samples, chunk_samples)
        params = {"session": session_pk, "type": type_id}
        db.session.execute(_DELETE, params | {"low": samples[0][0], "high": samples[-1][0]})
    db.session.commit()
    return len(rows)


def merge_step(
    session_pk: int, *, step_rows: int = STEP_ROWS, chunk_samples: int = CHUNK_SAMPLES
) -> int | None:
    """One transaction: merge runs of small chunks (about `step_rows` samples at most) and
    commit. Returns how many chunks were merged away, None when readers hold the session. Runs
    only while the session has no rows: a row between two chunks must not end up inside one."""
    user_id = _hold(session_pk)
    if not user_id:
        return user_id
    if _oldest_rows(session_pk, 1):
        db.session.rollback()
        return 0
    merged = budget = 0
    for run in _small_runs(list_chunks(session_pk), chunk_samples):
        samples = [s for chunk in run for s in stamped_samples(chunk.id)]
        delete_chunks([chunk.id for chunk in run])
        write_chunk(user_id, session_pk, run[0].sensor_type_id, samples)
        merged += len(run) - 1
        budget += len(samples)
        if budget >= step_rows:
            break
    db.session.commit()
    return merged


def _small_runs(chunks: list[ChunkInfo], chunk_samples: int) -> list[list[ChunkInfo]]:
    """Runs of adjacent chunks of one sensor type (`chunks` ordered by type, then time) to
    merge: a chunk joins the run before it while either is small (under a fifth of
    `chunk_samples`) and both fit in `chunk_samples` plus that. Afterwards only a type's last
    chunk can be small."""
    small_below = chunk_samples // 5
    runs: list[list[ChunkInfo]] = []
    for _, of_type in groupby(chunks, lambda chunk: chunk.sensor_type_id):
        run: list[ChunkInfo] = []
        size = 0
        for chunk in of_type:
            small = size < small_below or chunk.sample_count < small_below
            if run and small and size + chunk.sample_count <= chunk_samples + small_below:
                run.append(chunk)
                size += chunk.sample_count
                continue
            if len(run) > 1:
                runs.append(run)
            run, size = [chunk], chunk.sample_count
        if len(run) > 1:
            runs.append(run)
    return runs


def _hold(session_pk: int) -> int | None:
    """Begin a write transaction holding the session's row lock and the movers' lock: the
    session's user id, 0 when the session is gone, None when readers hold it (rolled back)."""
    begin_write_transaction()
    query = select(RecordingSession.user_id).where(RecordingSession.id == session_pk)
    user_id = db.session.execute(query.with_for_update()).scalar()
    if user_id is None:
        db.session.rollback()
        return 0
    if not try_hold_for_moving(session_pk):
        db.session.rollback()
        return None
    return user_id


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


def _with_small_chunks():
    """Sessions with two small chunks of one sensor type (read from the partial index: the
    literal bound matches its predicate)."""
    small = SampleChunk.sample_count < literal_column(str(SMALL_CHUNK))
    return (
        select(SampleChunk.recording_session_id)
        .where(small)
        .group_by(SampleChunk.recording_session_id, SampleChunk.sensor_type_id)
        .having(func.count() > 1)
    )


def sessions_to_compact(idle_before: datetime, *, limit: int | None = None) -> list[int]:
    """Sessions that still hold rows or two small chunks of one sensor type, and are closed or
    active but without a push or change since `idle_before`; oldest first."""
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
            or_(
                exists().where(SensorData.recording_session_id == RecordingSession.id),
                RecordingSession.id.in_(_with_small_chunks()),
            ),
            or_(RecordingSession.is_active.is_(False), idle),
        )
        .order_by(RecordingSession.id)
    )
    if limit is not None:
        query = query.limit(limit)
    found = list(db.session.scalars(query))
    db.session.rollback()
    return found
