"""Audio recordings placed on a session's time axis, for the session page's players."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def audio_on_time_axis(detail: dict[str, Any]) -> list[dict[str, Any]]:
    """Each recording of a session detail with where it starts and ends on the session's
    clock: `offset_s` after the session's start, `start_ms`/`end_ms` on the charts' axis
    (None when the client did not say when it recorded)."""
    session_start: datetime = detail["start_time"]
    placed = []
    for recording in detail.get("audio_recordings", []):
        started: datetime | None = recording["started_at"]
        length = recording["duration_seconds"] or 0.0
        placed.append(
            recording
            | {
                "offset_s": (started - session_start).total_seconds() if started else None,
                "start_ms": _ms(started) if started else None,
                "end_ms": _ms(started) + round(length * 1000) if started else None,
            }
        )
    return placed
