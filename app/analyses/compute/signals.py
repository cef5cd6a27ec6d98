"""Vectorised per-session sensor statistics, anomaly detection and data-quality metrics.

Input is a long frame with ``sensor_type`` (str), ``timestamp`` (int64 ms since epoch) and one
float column per data field (NaN where a sensor lacks the field).  Rows may be unsorted.  Every
public function returns plain JSON-serialisable Python values (NaN/inf become ``None``) and copes
with empty and single-row frames.  Work is done on whole numpy arrays: rows are grouped once by
sensor type (stable radix sort) so each sensor is a contiguous slice; Python loops only run over
sensor types and fields, never over samples.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from app.analyses.compute.gaps import find_gaps
from app.analyses.compute.geo import path_distance_m

RESERVED_COLUMNS = ("sensor_type", "timestamp")
MAX_ANOMALY_TIMESTAMPS = 1000
MAX_GAP_ITEMS = 100
_NUMERIC_INFERRED = {"integer", "floating", "mixed-integer-float", "decimal"}


def _num(value: Any) -> float | None:
    """Plain float for JSON output; ``None`` for missing, NaN or infinite values."""
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"sensor_type": pd.Series([], dtype="str"), "timestamp": pd.Series([], dtype="int64")}
    )


def _numeric_fields(fields: pd.DataFrame) -> pd.DataFrame:
    """Keep numeric (non-bool) columns as float64; object columns only if purely numeric."""
    keep: dict[str, pd.Series] = {}
    for col in fields.columns:
        name = str(col)
        series = fields[col]
        if name in RESERVED_COLUMNS or pd.api.types.is_bool_dtype(series):
            continue
        if pd.api.types.is_numeric_dtype(series):
            keep[name] = series.astype("float64")
        elif pd.api.types.infer_dtype(series, skipna=True) in _NUMERIC_INFERRED:
            keep[name] = pd.to_numeric(series, errors="coerce").astype("float64")
    return pd.DataFrame(keep, index=fields.index)


def frame_from_records(records: Iterable[tuple[str, int, dict]]) -> pd.DataFrame:
    """Build the analysis frame from ``(sensor_type, timestamp_ms, data_dict)`` tuples.

    Nested dicts are flattened with dotted names; bools, strings, lists and mixed-type fields
    are dropped; rows with a missing sensor type or timestamp are discarded.
    """
    rows = list(records)
    if not rows:
        return _empty_frame()
    sensor_types, timestamps, data = zip(*rows, strict=True)
    fields = pd.json_normalize([d if isinstance(d, Mapping) else {} for d in data])
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "sensor_type": pd.Series(sensor_types, dtype="str"),
                    "timestamp": pd.to_numeric(pd.Series(timestamps), errors="coerce"),
                }
            ),
            _numeric_fields(fields),
        ],
        axis=1,
    )
    frame = frame[frame["sensor_type"].notna() & frame["timestamp"].notna()]
    frame = frame.reset_index(drop=True)
    frame["timestamp"] = frame["timestamp"].astype("int64")
    return frame


@dataclass(frozen=True)
class _Prepared:
    """Rows grouped by sensor (original order kept inside a group); sensor ``g`` is ``seg(g)``."""

    names: list[str]
    ts: np.ndarray  # (n,) int64
    values: np.ndarray  # (fields, n) float64, one contiguous row per field
    columns: list[str]
    bounds: np.ndarray  # (groups + 1,) segment boundaries

    @property
    def n(self) -> int:
        return int(self.ts.size)

    def seg(self, g: int) -> slice:
        return slice(int(self.bounds[g]), int(self.bounds[g + 1]))

    def col(self, name: str) -> int | None:
        return self.columns.index(name) if name in self.columns else None


def _prepare(samples: pd.DataFrame | None) -> _Prepared:
    """Validate, drop unusable rows and group rows by sensor type with one radix sort."""
    if samples is None or len(samples) == 0 or not set(RESERVED_COLUMNS) <= set(samples.columns):
        return _Prepared([], np.empty(0, np.int64), np.empty((0, 0)), [], np.zeros(1, np.int64))
    labels = [
        c
        for c in samples.columns
        if c not in RESERVED_COLUMNS
        and pd.api.types.is_numeric_dtype(samples[c])
        and not pd.api.types.is_bool_dtype(samples[c])
    ]
    ts_float = pd.to_numeric(samples["timestamp"], errors="coerce").to_numpy(dtype="float64")
    codes, uniques = pd.factorize(samples["sensor_type"], sort=True)
    keep = (codes >= 0) & np.isfinite(ts_float)
    values = samples[labels].to_numpy(dtype="float64", na_value=np.nan).T
    if not keep.all():
        codes, uniques = pd.factorize(samples["sensor_type"][keep], sort=True)
        ts_float, values = ts_float[keep], values[:, keep]
    small = codes.astype(np.int16) if len(uniques) < 2**15 else codes
    order = np.argsort(small, kind="stable")  # radix sort: groups rows, keeps their order
    bounds = np.r_[0, np.cumsum(np.bincount(codes, minlength=len(uniques)))].astype(np.int64)
    return _Prepared(
        names=[str(u) for u in uniques],
        ts=ts_float.astype(np.int64)[order],
        values=np.take(values, order, axis=1),
        columns=[str(c) for c in labels],
        bounds=bounds,
    )


def _fields_dict(p: _Prepared, g: int, ptp: bool) -> dict[str, dict[str, float | None]]:
    """mean/std(ddof=1)/min/max (and optionally peak-to-peak) of each field present in ``g``."""
    out: dict[str, dict[str, float | None]] = {}
    for j, name in enumerate(p.columns):
        x = p.values[j, p.seg(g)]
        finite = np.isfinite(x)
        n = int(np.count_nonzero(finite))
        if n == 0:
            continue
        if n < x.size:
            x = x[finite]
        lo, hi = x.min(), x.max()
        entry = {
            "mean": _num(x.mean()),
            "std": _num(x.std(ddof=1)) if n > 1 else None,
            "min": _num(lo),
            "max": _num(hi),
        }
        if ptp:
            entry["peak_to_peak"] = _num(hi - lo)
        out[name] = entry
    return out


def _gps_summary(p: _Prepared) -> dict[str, Any] | None:
    if "gps" not in p.names:
        return None
    sl = p.seg(p.names.index("gps"))
    ilat, ilon = p.col("latitude"), p.col("longitude")
    if ilat is None or ilon is None:
        return {"fixes": 0, "distance_m": 0.0}
    lat, lon = p.values[ilat, sl], p.values[ilon, sl]
    order = np.lexsort((lon, lat, p.ts[sl]))  # timestamp order, deterministic on ties
    fixes = int(np.count_nonzero(np.isfinite(lat) & np.isfinite(lon)))
    return {"fixes": fixes, "distance_m": path_distance_m(lat[order], lon[order])}


def analyze_sensor_data(
    samples: pd.DataFrame, start_time_ms: int | None = None, end_time_ms: int | None = None
) -> dict[str, Any]:
    """Summarise a session: record count, duration, per-sensor field stats and GPS distance.

    ``record_count`` counts rows with a sensor type and timestamp; ``gps.fixes`` counts gps rows
    with finite latitude and longitude.
    """
    p = _prepare(samples)
    if start_time_ms is not None and end_time_ms is not None:
        duration = _num((end_time_ms - start_time_ms) / 1000.0)
    elif p.n:
        duration = _num((int(p.ts.max()) - int(p.ts.min())) / 1000.0)
    else:
        duration = None
    sensors: dict[str, Any] = {}
    for g, name in enumerate(p.names):
        ts = p.ts[p.seg(g)]
        sensors[name] = {
            "count": int(ts.size),
            "first_timestamp": int(ts.min()),
            "last_timestamp": int(ts.max()),
            "fields": _fields_dict(p, g, ptp=False),
        }
    return {
        "record_count": p.n,
        "duration_seconds": duration,
        "sensors": sensors,
        "gps": _gps_summary(p),
    }


def detect_anomalies(samples: pd.DataFrame, sensitivity: float = 3.0) -> dict[str, Any]:
    """Flag samples whose x/y/z magnitude has |z-score| > ``sensitivity``, per sensor type.

    The z-score uses the population standard deviation (ddof=0) of the sensor's magnitudes;
    rows missing any of x, y, z are ignored, and a zero spread yields no anomalies.
    """
    try:
        sensitivity = float(sensitivity)
    except (TypeError, ValueError) as exc:
        raise ValueError("sensitivity must be a number") from exc
    if not math.isfinite(sensitivity) or sensitivity <= 0:
        raise ValueError("sensitivity must be a finite number > 0")
    result: dict[str, Any] = {"sensitivity": sensitivity, "sensors": {}, "total_anomalies": 0}
    p = _prepare(samples)
    axes = [p.col(a) for a in ("x", "y", "z")]
    if p.n == 0 or any(i is None for i in axes):
        return result
    with np.errstate(over="ignore", invalid="ignore"):
        mag = np.sqrt(np.sum(p.values[axes] ** 2, axis=0))
    for g, name in enumerate(p.names):
        m, ts = mag[p.seg(g)], p.ts[p.seg(g)]
        valid = np.isfinite(m)
        n = int(np.count_nonzero(valid))
        if n == 0:
            continue
        if n < m.size:
            m, ts = m[valid], ts[valid]
        mean, std = float(m.mean()), float(m.std())
        if std > 1e-12 * max(1.0, abs(mean)):
            abs_z = np.abs(m - mean) / std
            anomalous = abs_z > sensitivity
            max_z = float(abs_z.max())
        else:
            anomalous, max_z = np.zeros(n, dtype=bool), 0.0
        k = int(np.count_nonzero(anomalous))
        stamps = np.sort(ts[anomalous])[:MAX_ANOMALY_TIMESTAMPS]
        result["sensors"][name] = {
            "count": n,
            "mean_magnitude": _num(mean),
            "std_magnitude": _num(std),
            "anomaly_count": k,
            "anomaly_ratio": k / n,
            "anomaly_timestamps": [int(t) for t in stamps],
            "max_abs_z": _num(max_z),
        }
        result["total_anomalies"] += k
    return result


def _declared_rate(rate: float | Mapping[str, float] | None, sensor: str) -> float | None:
    value = rate.get(sensor) if isinstance(rate, Mapping) else rate
    value = _num(value)
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
        "effective_rate_hz": _num(effective),
        "rate_ratio": _num(effective / rate) if effective is not None and rate else None,
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
    p = _prepare(samples)
    sensors: dict[str, Any] = {}
    for g, name in enumerate(p.names):
        ts = p.ts[p.seg(g)]
        sensors[name] = {
            "count": int(ts.size),
            "axes": _fields_dict(p, g, ptp=True),
            "quality": _quality(ts, _declared_rate(declared_rate_hz, name)),
        }
    return {"sample_count": p.n, "sensors": sensors}


def _utc_column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    return pd.to_datetime(frame[name], utc=True, errors="coerce")


def user_statistics(sessions: pd.DataFrame, sensor_counts: pd.DataFrame) -> dict[str, Any]:
    """Aggregate a user's sessions: counts, durations, sensor usage and sessions per UTC day."""
    sessions = sessions if sessions is not None else pd.DataFrame()
    sensor_counts = sensor_counts if sensor_counts is not None else pd.DataFrame()
    start, end = _utc_column(sessions, "start_time"), _utc_column(sessions, "end_time")
    durations = (end - start).dt.total_seconds().dropna()
    records = 0
    if "data_count" in sessions.columns:
        records = int(pd.to_numeric(sessions["data_count"], errors="coerce").fillna(0).sum())

    usage: dict[str, int] = {}
    if "enabled_sensors" in sessions.columns and len(sessions):
        exploded = pd.DataFrame(
            {"row": np.arange(len(sessions)), "sensor": sessions["enabled_sensors"].to_numpy()}
        ).explode("sensor")
        exploded = exploded.dropna(subset=["sensor"]).astype({"sensor": "str"})
        per_sensor = exploded.drop_duplicates().groupby("sensor")["row"].size()
        usage = {str(k): int(v) for k, v in per_sensor.sort_index().items()}

    by_sensor: dict[str, int] = {}
    if {"sensor_type", "count"} <= set(sensor_counts.columns) and len(sensor_counts):
        counts = pd.to_numeric(sensor_counts["count"], errors="coerce").fillna(0)
        summed = counts.groupby(sensor_counts["sensor_type"].astype("str")).sum().sort_index()
        by_sensor = {str(k): int(v) for k, v in summed.items()}

    days = start.dropna().dt.strftime("%Y-%m-%d").value_counts().sort_index()
    records_per_day: dict[str, int] = {}
    if "data_count" in sessions.columns and len(sessions):
        day = start.dt.strftime("%Y-%m-%d")
        counts = pd.to_numeric(sessions["data_count"], errors="coerce").fillna(0)
        summed = counts.groupby(day.to_numpy()).sum().sort_index()
        records_per_day = {str(k): int(v) for k, v in summed.items()}
    return {
        "session_count": int(len(sessions)),
        "record_count": records,
        "total_duration_seconds": float(durations.sum()),
        "average_duration_seconds": _num(durations.mean()) if len(durations) else None,
        "sensor_usage": usage,
        "records_by_sensor": by_sensor,
        "sessions_per_day": {str(k): int(v) for k, v in days.items()},
        "records_per_day": records_per_day,
    }
