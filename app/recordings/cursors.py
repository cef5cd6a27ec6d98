"""Keyset cursors, the one codec of both: where a walk of pull pages or of data pages stands,
as text the client sends back unchanged.

A cursor is a few fields joined by `.`: sensor-type names and non-negative integers with a
bounded number of digits. The pattern is the whole rule: every text it matches decodes to a
position inside the database's 64-bit range, so the OpenAPI document, which carries the
pattern, says exactly which cursors are accepted, and any other text — a number too large for
BIGINT, a cursor of another format — is a 400 before it reaches SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.errors import ValidationFailed

NAME = "[a-z0-9_]{1,50}"  # a sensor type
INTEGER = "(?:0|[1-9][0-9]{0,17})"  # < 10^18: a BIGINT, and within the sample timestamp range
# < 2·10^17 µs after 1970 (the year 8307): within Python's datetime and every backend.
MICROSECONDS = "(?:0|[1-9][0-9]{0,16}|1[0-9]{17})"

SAMPLE_CURSOR = re.compile(rf"({NAME})\.({INTEGER})")  # sensor_type.timestamp
PULL_CURSOR = re.compile(rf"({MICROSECONDS})\.({INTEGER})\.({MICROSECONDS})")  # updated.id.mark

NOT_A_CURSOR = "is not a cursor returned by this server"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def schema_pattern(cursor: re.Pattern) -> str:
    """The cursor's regular expression anchored, as pydantic and JSON Schema want it."""
    return f"^{cursor.pattern}$"


def fields(cursor: re.Pattern, text: str) -> tuple[str, ...]:
    """The fields of a cursor as text; ValueError when `text` is not such a cursor."""
    match = cursor.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(NOT_A_CURSOR)
    return match.groups()


def microseconds(moment: datetime) -> int:
    """A UTC time as whole microseconds since 1970 (exact: times are kept to the µs)."""
    return (moment - _EPOCH) // _MICROSECOND


def from_microseconds(value: int | str) -> datetime:
    return _EPOCH + int(value) * _MICROSECOND


def encode(cursor: re.Pattern, *values: str | int) -> str:
    """The cursor of these field values (checked, so that no cursor handed out is refused)."""
    text = ".".join(str(value) for value in values)
    fields(cursor, text)
    return text


def encode_sample_cursor(sensor_type: str, timestamp: int) -> str:
    """The position after a data page's last sample."""
    return encode(SAMPLE_CURSOR, sensor_type, timestamp)


def decode_sample_cursor(cursor: str) -> tuple[str, int]:
    """The position a sample cursor stands for; 400 when it did not come from this server."""
    try:
        sensor_type, timestamp = fields(SAMPLE_CURSOR, cursor)
    except ValueError as error:
        raise ValidationFailed(
            f"cursor {error}", [{"field": "cursor", "message": str(error)}]
        ) from None
    return sensor_type, int(timestamp)


@dataclass(frozen=True)
class PullCursor:
    """Where a keyset walk of pull pages stands, and the watermark of its first page."""

    updated_at: datetime
    id: int
    watermark: datetime

    def encode(self) -> str:
        return encode(
            PULL_CURSOR,
            microseconds(self.updated_at),
            self.id,
            microseconds(self.watermark),
        )

    @classmethod
    def decode(cls, text: str) -> PullCursor:
        """ValueError unless `text` is a cursor of this server's format (and range)."""
        updated_at, id_, watermark = fields(PULL_CURSOR, text)
        return cls(
            from_microseconds(updated_at),
            int(id_),
            from_microseconds(watermark),
        )
