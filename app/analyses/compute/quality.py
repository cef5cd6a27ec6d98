"""Data quality of a session: sample rate, completeness, duplicate timestamps and gaps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from app.analyses.compute.frame import fields_dict, num, prepare
from app.analyses.compute.gaps import find_gaps

MAX_GAP_ITEMS = 100


def _declared_rate(rate: float | Mapping[str, float] | None, sensor: str) -> float | None:
    value = rate.get(sensor) if isinstance(rate, Mapping) else rate
    value = num(value)
    return value if value is not None and value > 0 else None


def _quality(ts: np.ndarray, rate: float | None) -> dict[str, Any]:
    """Rate, completeness, duplicates and gaps for one sensor's timestamps (any order)."""
    ts = np.sort(ts)
    count = int(ts.size)
    uniq = ts[np.r_[True, ts[1:] != ts[:-1]]] if count else ts
    span_s = (int(ts[-1]) - int(ts[0])) / 1000.0 if count else 0.0
    gaps = find_gaps(uniq, 1000.0 / rate if rate is not None else None, MAX_GAP_ITEMS)
    effective = (count - 1) / span_s if span_s > 0 else None
    expected = int(round(span_s * rate)) + 1 if rate is not None and count else None
    return {
        "declared_rate_hz": rate,
        "effective_rate_hz": num(effective),
        "rate_ratio": num(effective / rate) if effective is not None and rate else None,
        "expected_samples": expected,
        "completeness": min(1.0, count / expected) if expected else None,
        "duplicate_timestamps": count - int(uniq.size),
        "gaps": {
            "count": gaps.count,
            "total_missing_ms": gaps.total_missing_ms,
            "largest_ms": gaps.largest_ms,
            "items": gaps.items,
        },
    }


def session_metrics(
    samples: pd.DataFrame, declared_rate_hz: float | Mapping[str, float] | None = None
) -> dict[str, Any]:
    """Per-sensor axis statistics and data-quality metrics (rate, completeness, gaps).

    ``declared_rate_hz`` is one rate for every sensor or a ``{sensor_type: rate}`` mapping;
    non-positive rates count as undeclared.  Gaps follow app/analyses/compute/gaps.py (the
    rule the coverage endpoint uses too); ``largest_ms`` is the largest ``missing_ms``.
    ``duplicate_timestamps`` counts rows repeating an earlier timestamp of the same sensor.
    """
    p = prepare(samples)
    sensors: dict[str, Any] = {}
    for g, name in enumerate(p.names):
        ts = p.ts[p.seg(g)]
        sensors[name] = {
            "count": int(ts.size),
            "axes": fields_dict(p, g, ptp=True),
            "quality": _quality(ts, _declared_rate(declared_rate_hz, name)),
        }
    return {"sample_count": p.n, "sensors": sensors}
