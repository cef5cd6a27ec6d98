"""Per-session sensor statistics (with the GPS distance) and anomaly detection, over the
frame of app/analyses/compute/frame.py."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from app.analyses.compute.frame import Prepared, fields_dict, num, prepare
from app.analyses.compute.geo import path_distance_m

MAX_ANOMALY_TIMESTAMPS = 1000


def _gps_summary(p: Prepared) -> dict[str, Any] | None:
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
    p = prepare(samples)
    if start_time_ms is not None and end_time_ms is not None:
        duration = num((end_time_ms - start_time_ms) / 1000.0)
    elif p.n:
        duration = num((int(p.ts.max()) - int(p.ts.min())) / 1000.0)
    else:
        duration = None
    sensors: dict[str, Any] = {}
    for g, name in enumerate(p.names):
        ts = p.ts[p.seg(g)]
        sensors[name] = {
            "count": int(ts.size),
            "first_timestamp": int(ts.min()),
            "last_timestamp": int(ts.max()),
            "fields": fields_dict(p, g, ptp=False),
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
    p = prepare(samples)
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
            "mean_magnitude": num(mean),
            "std_magnitude": num(std),
            "anomaly_count": k,
            "anomaly_ratio": k / n,
            "anomaly_timestamps": [int(t) for t in stamps],
            "max_abs_z": num(max_z),
        }
        result["total_anomalies"] += k
    return result
