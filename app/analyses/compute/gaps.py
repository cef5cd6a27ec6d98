"""What a gap is: one rule for the session metrics (numpy, below) and the coverage endpoint
(the same rule in SQL, app/sessions/coverage.py). docs/tasks.md#gaps states it.

A sensor's nominal interval is the one its session declares (1000 / sample_rate ms), unless
the sensor's most common step over its first samples is longer (a 5 Hz light sensor in a
100 Hz session) or nothing is declared: then that observed step. Sensors that report at their
own cadence (GPS) are never held to the session's rate. A gap is a step between consecutive
distinct timestamps longer than twice the nominal interval; it misses round(step − nominal) ms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GAP_FACTOR = 2  # a step over this many nominal intervals is a gap
RATE_PROBE_SAMPLES = 10_000  # the observed step is the most common among this many samples
OWN_CADENCE_SENSORS = frozenset({"gps"})  # not held to the session's declared rate


def declared_interval_ms(sensor_type: str, session_rate_hz: float | None) -> float | None:
    """1000 / the session's rate, for sensors that follow it; None otherwise."""
    if sensor_type in OWN_CADENCE_SENSORS or not session_rate_hz or session_rate_hz <= 0:
        return None
    return 1000.0 / session_rate_hz


def nominal_interval(
    declared_ms: float | None, observed_ms: float | None
) -> tuple[float | None, str | None]:
    """`(interval, "declared" | "observed")`; `(None, None)` with neither (no gaps then)."""
    if declared_ms is not None and (observed_ms is None or observed_ms <= declared_ms):
        return declared_ms, "declared"
    if observed_ms:
        return float(observed_ms), "observed"
    return None, None


def most_common_step(timestamps: np.ndarray) -> float | None:
    """The most common step among the first RATE_PROBE_SAMPLES sorted distinct timestamps
    (the shorter one on a tie), as the coverage SQL computes it."""
    steps = np.diff(timestamps[:RATE_PROBE_SAMPLES])
    if not steps.size:
        return None
    values, counts = np.unique(steps, return_counts=True)
    return float(values[int(np.argmax(counts))])


def missing_ms(step_total: float, gaps: int, interval: float) -> int:
    """What `gaps` gaps whose steps add up to `step_total` miss, in whole milliseconds."""
    return round(step_total - gaps * interval)


@dataclass(frozen=True)
class Gaps:
    interval_ms: float | None
    interval_source: str | None
    count: int
    total_missing_ms: int
    largest_ms: int
    items: list[dict[str, int]]  # the first `max_items`: start, end, missing_ms


def find_gaps(timestamps: np.ndarray, declared_ms: float | None, max_items: int) -> Gaps:
    """The gaps of one sensor's sorted distinct timestamps (int64 ms)."""
    interval, source = nominal_interval(declared_ms, most_common_step(timestamps))
    if interval is None:
        return Gaps(None, None, 0, 0, 0, [])
    steps = np.diff(timestamps)
    where = np.flatnonzero(steps > GAP_FACTOR * interval)
    items = [
        {
            "start": int(timestamps[i]),
            "end": int(timestamps[i + 1]),
            "missing_ms": missing_ms(int(steps[i]), 1, interval),
        }
        for i in where[:max_items]
    ]
    gap_steps = steps[where]
    largest = missing_ms(int(gap_steps.max()), 1, interval) if where.size else 0
    total = missing_ms(int(gap_steps.sum()), int(where.size), interval)
    return Gaps(interval, source, int(where.size), total, largest, items)
