"""Per-user statistics over a period: the body of `generate_statistics` and of GET /api/stats."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from app.analyses import loading
from app.analyses.compute import user_stats
from app.analyses.schemas import YEARS
from app.clock import iso_utc, utcnow
from app.errors import ValidationFailed

DEFAULT_PERIOD = timedelta(days=30)


def _parse(value: str, name: str, *, end: bool) -> datetime:
    """A date (whole day, so an end date is inclusive) or an ISO 8601 date-time, in UTC."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            year = day.year
            moment = datetime.combine(day + timedelta(days=1 if end else 0), time(), UTC)
        else:
            moment = datetime.fromisoformat(value)
            year = moment.year
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        moment = None
    if moment is None or year not in YEARS:  # the year as written, as the document says
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
    # An end date includes its whole day (the same date twice is that day), so a period that
    # ends on a date is never empty; the same date-time twice is an empty period.
    ends_on_a_day = end_date is not None and len(end_date) == 10
    if start > end or (start == end and ends_on_a_day):
        raise ValidationFailed(
            "start_date must not be after end_date",
            [{"field": "start_date", "message": "must not be after end_date"}],
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
        **user_stats.user_statistics(sessions, counts),
    }
