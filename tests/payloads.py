"""Push payloads: samples, session metadata and request bodies as a phone sends them.

The one module of payload builders for the unit, API, system and background-work tests and for
the benchmarks (bench/ puts the repository root on sys.path and imports it as
`tests.payloads`). It needs only the standard library and numpy, and knows nothing of the app.
"""

from __future__ import annotations

from typing import Any

import numpy as np

BASE_TS = 1_699_876_543_210  # 2023-11-13T11:55:43.210Z, ms: the API tests' recordings
T0 = 1_763_000_000_000  # 2025-11-13T02:13:20Z, ms: the background-work tests' recordings
START = "2025-11-13T02:13:20Z"  # T0 as a session start_time
END = "2025-11-13T02:23:20Z"  # ten minutes later


def sample(timestamp: int, sensor_type: str = "accelerometer", **data: Any) -> dict[str, Any]:
    """One sample; `data` defaults to `{"x": 1.0}`."""
    return {"sensor_type": sensor_type, "timestamp": timestamp, "data": data or {"x": 1.0}}


def samples(
    count: int, sensor_type: str = "accelerometer", start: int = BASE_TS, step: int = 10, z=9.8
) -> list[dict[str, Any]]:
    """`count` samples `step` ms apart with predictable data (x grows, y and z are fixed)."""
    return [
        sample(start + i * step, sensor_type, x=round(0.001 * i, 6), y=0.2, z=z)
        for i in range(count)
    ]


def xyz(sensor: str, count: int, *, step: int = 10, start: int = T0, seed: int = 1) -> list[dict]:
    """A noisy 3-axis signal around gravity."""
    rng = np.random.default_rng(seed)
    values = rng.normal([0.0, 0.0, 9.81], 0.05, size=(count, 3)).round(5)
    return [
        sample(start + i * step, sensor, x=float(x), y=float(y), z=float(z))
        for i, (x, y, z) in enumerate(values)
    ]


def gps_track(count: int, *, start: int = T0) -> list[dict]:
    """Fixes along the equator, 0.001° of longitude (≈111 m) apart, one per second."""
    return [
        sample(
            start + 1000 * i,
            "gps",
            latitude=0.0,
            longitude=round(0.001 * i, 6),
            accuracy=5,
            provider="fused",
            mock=False,
        )
        for i in range(count)
    ]


def session(session_id: str = "session-1", **fields: Any) -> dict[str, Any]:
    """Session metadata with a start_time (override or drop it through `fields`)."""
    return {"session_id": session_id, "start_time": "2025-11-13T00:00:00Z"} | fields


def push_body(session_id: str = "session-1", data=None, **fields: Any) -> dict[str, Any]:
    """A push request: the session's metadata and its samples."""
    return {"session": session(session_id, **fields), "sensor_data": data or []}
