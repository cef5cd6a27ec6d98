"""Steps between consecutive samples of one sensor, computed by the database with `lag()` over
the sensor's index range, so memory stays flat however long the session is
(app/sessions/coverage.py turns them into gaps)."""

from __future__ import annotations

from sqlalchemy import text

from app.extensions import db

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
    params = {"session": session_pk, "type": type_id, "probe": probe}
    return db.session.execute(_MOST_COMMON_INTERVAL, params).scalar()


def steps_longer_than(session_pk: int, type_id: int, threshold: float, limit: int) -> list:
    """Rows `(step start, step end, how many such steps, their summed length)` of the first
    `limit` steps longer than `threshold` ms, in time order."""
    params = {"session": session_pk, "type": type_id, "threshold": threshold, "limit": limit}
    return db.session.execute(_GAPS, params).all()
