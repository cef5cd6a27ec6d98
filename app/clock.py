"""The one clock and the one time format: aware UTC datetimes, written as ISO 8601 with a `Z`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

# Naive datetimes are UTC; every datetime leaves with a `Z` (the format every response uses).
ORJSON_UTC = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def from_ms(ms: int) -> datetime:
    """Milliseconds since the epoch (how samples are timed) → an aware UTC datetime, exactly
    (no float rounding)."""
    return EPOCH + timedelta(milliseconds=ms)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """Naive times are UTC; aware ones are converted to it."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso_utc(value: datetime | None) -> str | None:
    """`2025-11-13T12:00:00.123456Z`, exactly as the JSON responses write it."""
    return None if value is None else orjson.dumps(value, option=ORJSON_UTC)[1:-1].decode()
