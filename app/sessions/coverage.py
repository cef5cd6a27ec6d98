"""Where a session's sensors have holes: gaps between consecutive samples, found in SQL.

A gap is a pair of consecutive timestamps of one sensor more than twice its nominal interval
apart. The nominal interval is the session's declared one (1000 / sample_rate), unless the
sensor's most common interval is longer — a 1 Hz GPS inside a 100 Hz session — in which case
that observed interval is used (the mode over the sensor's first samples, which is enough to
tell its rate and keeps the question cheap). Both are computed by the database with `lag()`
over the sensor's index range, so memory stays flat however long the session is.
"""

from __future__ import annotations

from typing import Any

from app.recordings.ownership import owned_session
from app.recordings.samples import intervals
from app.recordings.samples.summary import sensor_summary

MAX_GAPS = 100
RATE_PROBE_SAMPLES = 10_000


def _nominal_interval(
    session_pk: int, type_id: int, declared: float | None
) -> tuple[float | None, str | None]:
    observed = intervals.most_common_interval(session_pk, type_id, RATE_PROBE_SAMPLES)
    if declared is not None and (observed is None or observed <= declared):
        return declared, "declared"
    if observed:
        return float(observed), "observed"
    return declared, "declared" if declared else None


def _sensor_coverage(session_pk: int, summary: dict, declared: float | None) -> dict[str, Any]:
    interval, source = _nominal_interval(session_pk, summary["type_id"], declared)
    gaps: list[dict[str, int]] = []
    gap_count = missing_ms = 0
    if interval:
        found = intervals.steps_longer_than(session_pk, summary["type_id"], 2 * interval, MAX_GAPS)
        for start, end, count, total_ms in found:
            gap_count = int(count)
            missing_ms = round(int(total_ms) - gap_count * interval)
            gaps.append({"start": start, "end": end, "missing_ms": round(end - start - interval)})
    return {k: v for k, v in summary.items() if k != "type_id"} | {
        "interval_ms": interval,
        "interval_source": source,
        "gap_count": gap_count,
        "missing_ms": missing_ms,
        "gaps": gaps,
    }


def session_coverage(user_id: int, session_id: str) -> dict[str, Any]:
    """Per sensor: count, first/last timestamp and the gaps against its nominal interval."""
    session = owned_session(user_id, session_id)
    rate = session.sample_rate
    declared = 1000.0 / rate if rate else None
    sensors = [_sensor_coverage(session.id, row, declared) for row in sensor_summary(session.id)]
    return {
        "session_id": session.session_id,
        "declared_sample_rate": rate,
        "sensors": sensors,
        "total_gaps": sum(s["gap_count"] for s in sensors),
        "total_missing_ms": sum(s["missing_ms"] for s in sensors),
    }
