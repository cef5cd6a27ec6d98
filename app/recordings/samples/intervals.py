"""Steps between consecutive samples of one sensor, computed by the database with `lag()` over
the sensor's index range, so memory stays flat however long the session is
(app/sessions/coverage.py turns them into gaps). A sensor type with chunks is walked in numpy
instead, one chunk (or batch of rows) at a time, in the merged order."""

from __future__ import annotations

import numpy as np
from sqlalchemy import text

from app.extensions import db
from app.recordings.samples.chunks import list_chunks
from app.recordings.samples.locks import hold_for_reading
from app.recordings.samples.numbers import number_pieces

_SENSOR = "FROM sensor_data WHERE recording_session_id = :session AND sensor_type_id = :type"
_DELTAS = f"""
    SELECT timestamp AS ts, timestamp - lag(timestamp) OVER (ORDER BY timestamp) AS delta
    {_SENSOR}
"""

_MOST_COMMON_INTERVAL = text(
    f"""
    SELECT delta FROM (
        SELECT timestamp - lag(timestamp) OVER (ORDER BY timestamp) AS delta
        FROM (SELECT timestamp {_SENSOR} ORDER BY timestamp LIMIT :probe) AS first
    ) AS deltas WHERE delta IS NOT NULL
    GROUP BY delta ORDER BY count(*) DESC, delta LIMIT 1
    """
)

_GAPS = text(
    f"""
    SELECT ts - delta AS gap_start, ts AS gap_end,
           count(*) OVER () AS gap_count, sum(delta) OVER () AS gap_ms
    FROM ({_DELTAS}) AS deltas
    WHERE delta > :threshold
    ORDER BY ts LIMIT :limit
    """
)


def most_common_interval(session_pk: int, type_id: int, probe: int) -> int | None:
    """The most frequent step (ms) over the sensor's first `probe` samples, smallest on ties."""
    hold_for_reading(session_pk)
    chunks = list_chunks(session_pk, type_id)
    if not chunks:
        params = {"session": session_pk, "type": type_id, "probe": probe}
        return db.session.execute(_MOST_COMMON_INTERVAL, params).scalar()
    first: list[np.ndarray] = []
    taken = 0
    for piece, _ in number_pieces(session_pk, type_id, []):
        first.append(piece[: probe - taken])
        taken += len(first[-1])
        if taken >= probe:
            break
    deltas = np.diff(np.concatenate(first)) if first else np.empty(0, dtype=np.int64)
    if not deltas.size:
        return None
    values, counts = np.unique(deltas, return_counts=True)  # sorted: ties go to the smallest
    return int(values[np.argmax(counts)])


def steps_longer_than(session_pk: int, type_id: int, threshold: float, limit: int) -> list:
    """Rows `(step start, step end, how many such steps, their summed length)` of the first
    `limit` steps longer than `threshold` ms, in time order."""
    hold_for_reading(session_pk)
    chunks = list_chunks(session_pk, type_id)
    if not chunks:
        params = {"session": session_pk, "type": type_id, "threshold": threshold, "limit": limit}
        return db.session.execute(_GAPS, params).all()
    found: list[tuple[int, int]] = []
    count = total = 0
    previous: np.ndarray = np.empty(0, dtype=np.int64)
    for piece, _ in number_pieces(session_pk, type_id, []):
        if not piece.size:
            continue
        joined = np.concatenate([previous, piece])
        deltas = np.diff(joined)
        long = np.flatnonzero(deltas > threshold)
        count += len(long)
        total += int(deltas[long].sum())
        ends = joined[long + 1].tolist()
        starts = joined[long].tolist()
        found += list(zip(starts, ends, strict=True))[: max(0, limit - len(found))]
        previous = piece[-1:]
    return [(start, end, count, total) for start, end in found]
