"""The shapes every feature shares, written once: session and sample identifiers, session
metadata in (a push or an import) and out (every endpoint that shows a session), a sample out.

`session_json` is the response model itself applied to a row, so the document and the answer
cannot differ. Samples are not serialised through a model: pull, the data pages and the
exports write them as stored JSON text at hundreds of thousands a second (docs/sync.md#pull),
and tests check that what they write is what `SampleOut` documents.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
    model_validator,
)

from app.clock import as_utc
from app.models import RecordingSession
from app.validation import response_fields

SENSOR_TYPE_PATTERN = r"^[a-z0-9_]{1,50}$"
SESSION_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,99}$"
SensorType = Annotated[str, StringConstraints(pattern=SENSOR_TYPE_PATTERN, strict=True)]
# PostgreSQL text cannot hold U+0000: refused here, a NUL in the notes would be a 500.
NotesText = Annotated[str, StringConstraints(max_length=10_000, pattern=r"^[^\x00]*$", strict=True)]
SessionId = Annotated[str, StringConstraints(pattern=SESSION_ID_PATTERN, strict=True)]


def _iso_string(value: Any) -> Any:
    """Only ISO 8601 strings are times here (pydantic would also take numbers)."""
    if value is not None and not isinstance(value, (str, datetime)):
        raise ValueError("must be an ISO 8601 date-time string")
    return value


Timestamp = Annotated[datetime, BeforeValidator(_iso_string)]


class StrictModel(BaseModel):
    """Unknown fields are ignored; NaN and infinities are refused."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)


class SessionIn(StrictModel):
    """Session metadata of a push; fields left out keep their stored value."""

    session_id: SessionId
    start_time: Timestamp = None  # may be left out (kept, or required by a new session); not null
    end_time: Timestamp | None = None
    is_active: StrictBool | None = None
    is_uploaded: StrictBool | None = None
    enabled_sensors: list[SensorType] | None = Field(default=None, max_length=64)
    sample_rate: float | None = Field(default=None, gt=0, le=100_000)
    notes: NotesText | None = None

    @field_validator("start_time", "end_time")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value)

    @field_validator("sample_rate", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float, type(None))):
            raise ValueError("must be a number")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SessionIn:
        if self.start_time and self.end_time and self.end_time < self.start_time:
            raise ValueError("end_time must not be before start_time")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the client sent (last write wins on exactly these)."""
        return {name: getattr(self, name) for name in self.model_fields_set - {"session_id"}}


# Response models. A session is serialised through its model (`session_json`). Samples are
# not: pull, the data pages and the exports write them as stored JSON text at hundreds of
# thousands a second (docs/sync.md#streaming), and tests/core/test_response_shapes.py checks
# that what they write is what `SampleOut` documents.


class SampleOut(BaseModel):
    sensor_type: str
    timestamp: int
    data: dict[str, Any]


def sample_fragment_parts(sensor_type: str) -> tuple[str, str, str]:
    """The text of a `SampleOut` of one sensor type around its timestamp and its data: every
    writer of sample JSON (rows here, chunks in app/recordings/chunk_json.py) uses these."""
    return f'{{"sensor_type":"{sensor_type}","timestamp":', ',"data":', "}"


def sample_fragments(sensor_type: str, rows: Iterable[tuple[int, str]]) -> list[str]:
    """`SampleOut` as JSON text for each `(timestamp, stored data text)` of one sensor type; the
    data is copied as stored, never parsed."""
    head, middle, tail = sample_fragment_parts(sensor_type)
    return [f"{head}{timestamp}{middle}{data}{tail}" for timestamp, data in rows]


class SessionMetaOut(BaseModel):
    """A session's fields as every endpoint returns them."""

    session_id: str
    start_time: datetime
    end_time: datetime | None
    is_active: bool
    enabled_sensors: list[str]
    sample_rate: float | None
    data_count: int
    notes: str | None
    is_uploaded: bool
    created_at: datetime
    updated_at: datetime


def session_json(session: RecordingSession) -> dict[str, Any]:
    """The session as `SessionMetaOut` documents it (datetimes left to the JSON codec)."""
    return response_fields(SessionMetaOut, session)
