"""Times as the app sends them: integer milliseconds since the Unix epoch (UTC).

A time outside [2000-01-01, 2100-01-01) is refused as a validation error rather than stored:
such values are unit mistakes (seconds or microseconds instead of milliseconds).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StrictInt

from app.clock import EPOCH, from_ms

EARLIEST_MS = 946_684_800_000  # 2000-01-01T00:00:00Z
LATEST_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z (exclusive)


def to_datetime(ms: int) -> datetime:
    """A time the app recorded: in range, or ValueError (a unit mistake)."""
    if not EARLIEST_MS <= ms < LATEST_MS:
        raise ValueError("must be milliseconds since 1970-01-01 UTC between 2000 and 2100")
    return from_ms(ms)


def to_ms(value: datetime | None) -> int | None:
    """An aware datetime → whole milliseconds since the epoch, rounded down, so a watermark
    given back to a client never lies after the instant it stands for."""
    if value is None:
        return None
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _integral(value: Any) -> Any:
    """1699876543210.0 → 1699876543210: JavaScript has one number type."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# A request field holding a time: validated as an integer in range, converted to datetime.
EpochMs = Annotated[
    StrictInt,
    Field(ge=EARLIEST_MS, lt=LATEST_MS, description="Milliseconds since 1970-01-01T00:00:00Z"),
    BeforeValidator(_integral),
    AfterValidator(to_datetime),
]
