"""Where a session's sensors have holes: gaps between consecutive samples, found in SQL.

The rule is app/analyses/compute/gaps.py's (docs/tasks.md#gaps), shared with the session
metrics; the sample store (app/recordings/samples/intervals.py) computes the most common step
and the gaps in the database with `lag()` over the sensor's index range, so memory stays flat
however long the session is.
"""

from __future__ import annotations

from typing import Any

from app.analyses.compute import gaps as rule
from app.recordings.ownership import owned_session
from app.recordings.samples import intervals
from app.recordings.samples.summary import sensor_summary

MAX_GAPS = 100


def _sensor_coverage(session_pk: int, summary: dict, rate: float | None) -> dict[str, Any]:
    type_id = summary["type_id"]
    observed = intervals.most_common_interval(session_pk, type_id, rule.RATE_PROBE_SAMPLES)
    declared = rule.declared_interval_ms(summary["sensor_type"], rate)
    interval, source = rule.nominal_interval(declared, observed)
    found: list[dict[str, int]] = []
    gap_count = missing_ms = 0
    if interval:
        threshold = rule.GAP_FACTOR * interval
        for start, end, count, total_ms in intervals.steps_longer_than(
            session_pk, type_id, threshold, MAX_GAPS
        ):
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
