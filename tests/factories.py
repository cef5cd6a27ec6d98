"""Small builders for push payloads."""

from __future__ import annotations

from typing import Any

BASE_TS = 1_699_876_543_210


def samples(
    count: int, sensor_type: str = "accelerometer", start: int = BASE_TS, step: int = 10, z=9.8
) -> list[dict[str, Any]]:
    return [
        {
            "sensor_type": sensor_type,
            "timestamp": start + i * step,
            "data": {"x": round(0.001 * i, 6), "y": 0.2, "z": z},
        }
        for i in range(count)
    ]


def session(session_id: str = "session-1", **fields: Any) -> dict[str, Any]:
    return {"session_id": session_id, "start_time": "2025-11-13T00:00:00Z"} | fields


def push_body(session_id: str = "session-1", data=None, **fields: Any) -> dict[str, Any]:
    return {"session": session(session_id, **fields), "sensor_data": data or []}
