"""Per-user statistics over a period: the body of `generate_statistics` and of GET /api/stats."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from app.analyses import loading
from app.analysis import signals
from app.api.json_provider import iso_utc
from app.errors import ValidationFailed
from app.models.base import utcnow

DEFAULT_PERIOD = timedelta(days=30)
YEARS = range(1970, 9000)  # so that the default period and day arithmetic never overflow


def _parse(value: str, name: str, *, end: bool) -> datetime:
    """A date (whole day, so an end date is inclusive) or an ISO 8601 date-time, in UTC."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day + timedelta(days=1 if end else 0), time(), UTC)
        else:
            moment = datetime.fromisoformat(value)
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        moment = None
    if moment is None or not YEARS.start <= moment.year < YEARS.stop:
        raise ValidationFailed(
            f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 date-time "
            f"in the years {YEARS.start}-{YEARS.stop - 1}",
            [{"field": name, "message": "invalid date"}],
        )
    return moment


def parse_period(start_date: str | None, end_date: str | None) -> tuple[datetime, datetime]:
    """[start, end) from optional strings; defaults to the last 30 days. 400 when invalid."""
    end = _parse(end_date, "end_date", end=True) if end_date is not None else utcnow()
    start = (
        _parse(start_date, "start_date", end=False)
        if start_date is not None
        else end - DEFAULT_PERIOD
    )
    if start >= end:
        raise ValidationFailed(
            "start_date must be before end_date",
            [{"field": "start_date", "message": "must be before end_date"}],
        )
    return start, end


def user_statistics(user_id: int, start: datetime, end: datetime) -> dict[str, Any]:
    """Sessions started in [start, end): counts, durations, sensor usage (JSON-able)."""
    sessions = loading.load_user_sessions(user_id, start, end)
    counts = loading.load_sensor_counts(user_id, start, end)
    return {
        "user_id": user_id,
        "start": iso_utc(start),
        "end": iso_utc(end),
        **signals.user_statistics(sessions, counts),
    }
