"""Where a session's sensors have holes: gaps between consecutive samples, found in SQL.

The rule is app/analyses/compute/gaps.py's (docs/tasks.md#gaps), shared with the session
metrics; here the database computes the most common step and the gaps with `lag()` over the
sensor's index range, so memory stays flat however long the session is.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from app.analyses.compute import gaps as rule
from app.extensions import db
from app.recordings.ownership import owned_session
from app.sessions.service import sensor_summary

MAX_GAPS = 100
_PROBE = rule.RATE_PROBE_SAMPLES

_SENSOR = "FROM sensor_data WHERE recording_session_id = :session AND sensor_type_id = :type"
_DELTAS = f"""
    SELECT timestamp AS ts, timestamp - lag(timestamp) OVER (ORDER BY timestamp) AS delta
    {_SENSOR}
"""

_MOST_COMMON_INTERVAL = text(
    f"""
    SELECT delta FROM (
        SELECT timestamp - lag(timestamp) OVER (ORDER BY timestamp) AS delta
        FROM (SELECT timestamp {_SENSOR} ORDER BY timestamp LIMIT {_PROBE}) AS first
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


def _sensor_coverage(session_pk: int, summary: dict, rate: float | None) -> dict[str, Any]:
    params = {"session": session_pk, "type": summary["type_id"]}
    observed = db.session.execute(_MOST_COMMON_INTERVAL, params).scalar()
    declared = rule.declared_interval_ms(summary["sensor_type"], rate)
    interval, source = rule.nominal_interval(declared, observed)
    found: list[dict[str, int]] = []
    gap_count = missing_ms = 0
    if interval:
        params |= {"threshold": rule.GAP_FACTOR * interval, "limit": MAX_GAPS}
        for start, end, count, total_ms in db.session.execute(_GAPS, params):
            gap_count = int(count)
            missing_ms = rule.missing_ms(int(total_ms), gap_count, interval)
            found.append(
                {
                    "start": start,
                    "end": end,
                    "missing_ms": rule.missing_ms(end - start, 1, interval),
                }
            )
    return {k: v for k, v in summary.items() if k != "type_id"} | {
        "interval_ms": interval,
        "interval_source": source,
        "gap_count": gap_count,
        "missing_ms": missing_ms,
        "gaps": found,
    }


def session_coverage(user_id: int, session_id: str) -> dict[str, Any]:
    """Per sensor: count, first/last timestamp and the gaps against its nominal interval."""
    session = owned_session(user_id, session_id)
    rate = session.sample_rate
    sensors = [_sensor_coverage(session.id, row, rate) for row in sensor_summary(session.id)]
    return {
        "session_id": session.session_id,
        "declared_sample_rate": rate,
        "sensors": sensors,
        "total_gaps": sum(s["gap_count"] for s in sensors),
        "total_missing_ms": sum(s["missing_ms"] for s in sensors),
    }
