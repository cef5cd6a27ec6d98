"""A user's sessions aggregated: counts, durations, sensor usage and activity per UTC day."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from app.analyses.compute.frame import num


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
        "average_duration_seconds": num(durations.mean()) if len(durations) else None,
        "sensor_usage": usage,
        "records_by_sensor": by_sensor,
        "sessions_per_day": {str(k): int(v) for k, v in days.items()},
        "records_per_day": records_per_day,
    }
