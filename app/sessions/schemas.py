"""Query, body and response models of /api/sessions (validation and the OpenAPI document)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
)

from app.analyses.charts import DEFAULT_POINTS
from app.audio.schemas import AudioRecordingOut
from app.clock import as_utc
from app.recordings import cursors
from app.recordings.schemas import SENSOR_TYPE_PATTERN, SampleOut, SessionMetaOut, Timestamp

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
MAX_TIMESTAMP_MS = 2**62  # far beyond any real clock, inside BIGINT


def _iso_only(value: Any) -> Any:
    """Query strings are text: accept ISO 8601 date-times only, not dates or epoch numbers."""
    if isinstance(value, str) and not _ISO_DATETIME.match(value):
        raise ValueError("must be an ISO 8601 date-time such as 2025-11-13T00:00:00Z")
    return value


QueryTime = Annotated[datetime, BeforeValidator(_iso_only)]
SensorTypeName = Annotated[str, StringConstraints(pattern=SENSOR_TYPE_PATTERN)]
Millis = Annotated[int, Field(ge=0, le=MAX_TIMESTAMP_MS)]


class Query(BaseModel):
    """Query-string parameters: unknown ones are ignored."""

    model_config = ConfigDict(extra="ignore")


class SessionListQuery(Query):
    """Filters of the session list; `start`/`end` bound start_time as [start, end)."""

    start: QueryTime | None = None
    end: QueryTime | None = None
    sensor_type: SensorTypeName | None = Field(
        default=None, description="Only sessions holding samples of this sensor type"
    )
    active: bool | None = None
    q: Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00]*$")] | None = Field(
        default=None, description="Case-insensitive text contained in the notes"
    )
    order: Literal["asc", "desc"] = "desc"
    page: int = Field(default=1, ge=1, le=1_000_000)
    page_size: int = Field(default=50, ge=1, le=100)

    @field_validator("start", "end")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value)


class SessionDataQuery(Query):
    """One page of samples; `start`/`end` bound the sample timestamp (ms) as [start, end)."""

    sensor_type: SensorTypeName | None = None
    start: Millis | None = None
    end: Millis | None = None
    cursor: (
        Annotated[str, StringConstraints(pattern=cursors.schema_pattern(cursors.SAMPLE_CURSOR))]
        | None
    ) = Field(default=None, description="`next_cursor` of the previous page")
    limit: int = Field(default=1000, ge=1, le=10_000)


MaxPoints = Annotated[int, Field(ge=10, le=10_000, description="Most points returned")]


class SeriesQuery(Query):
    """One sensor's series for a chart; `start`/`end` bound the timestamp (ms) as [start, end)."""

    sensor_type: SensorTypeName
    points: MaxPoints = DEFAULT_POINTS
    start: Millis | None = None
    end: Millis | None = None


class TrackQuery(Query):
    points: MaxPoints = DEFAULT_POINTS


class SessionPatch(BaseModel):
    """Fields a user may edit; sent fields overwrite stored ones (last write wins)."""

    model_config = ConfigDict(extra="ignore")

    notes: (
        Annotated[str, StringConstraints(max_length=10_000, pattern=r"^[^\x00]*$", strict=True)]
        | None
    ) = None
    end_time: Timestamp | None = None
    is_active: StrictBool | None = None

    @field_validator("end_time")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value)

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


# Responses


class SessionListOut(BaseModel):
    sessions: list[SessionMetaOut]
    page: int
    page_size: int
    total: int
    has_more: bool


class SensorSummaryOut(BaseModel):
    sensor_type: str
    count: int
    first_timestamp: int
    last_timestamp: int


class StorageOut(BaseModel):
    """What the session's samples take on disk (docs/storage.md): an estimate from column
    sizes, without decoding a chunk."""

    samples: int = Field(description="Samples stored, in chunks and in rows")
    bytes: int = Field(description="Estimated bytes of those samples, with their index entries")
    bytes_per_sample: float | None = Field(description="bytes / samples; null without samples")
    chunks: int = Field(description="Compressed column chunks (compacted samples)")
    rows: int = Field(description="Samples still stored one row each (not yet compacted)")


class SessionDetailOut(SessionMetaOut):
    sensors: list[SensorSummaryOut]
    audio_recordings: list[AudioRecordingOut]
    storage: StorageOut


class DeletedOut(BaseModel):
    message: str
    session_id: str
    deleted_at: datetime


class GapOut(BaseModel):
    start: int = Field(description="Timestamp (ms) of the last sample before the gap")
    end: int = Field(description="Timestamp (ms) of the first sample after the gap")
    missing_ms: int = Field(description="Gap length minus one nominal interval")


class SensorCoverageOut(SensorSummaryOut):
    interval_ms: float | None = Field(description="Nominal interval used to find gaps")
    interval_source: Literal["declared", "observed"] | None
    gap_count: int
    missing_ms: int
    gaps: list[GapOut] = Field(description="The first 100 gaps")


class CoverageOut(BaseModel):
    session_id: str
    declared_sample_rate: float | None
    sensors: list[SensorCoverageOut]
    total_gaps: int
    total_missing_ms: int


class DataPageOut(BaseModel):
    session_id: str
    samples: list[SampleOut]
    next_cursor: str | None


class SeriesOut(BaseModel):
    session_id: str
    sensor_type: str
    fields: list[str] = Field(description="Numeric data fields (at most 8; x, y, z first)")
    t: list[int] = Field(description="Timestamps (ms); two per bucket when downsampled")
    values: dict[str, list[float | None]] = Field(
        description="Per field, aligned with t: the bucket minimum at its first timestamp and "
        "the maximum at its last when downsampled, the samples themselves otherwise"
    )
    magnitude: list[float | None] | None = Field(
        description="|(x, y, z)| aligned with t, for three-axis sensors"
    )
    total: int = Field(description="Samples in the window")
    points: int
    downsampled: bool


class TrackOut(BaseModel):
    session_id: str
    fixes: int = Field(description="GPS fixes with valid coordinates")
    distance_m: float = Field(description="Great-circle length of the whole track")
    t: list[int]
    latitude: list[float]
    longitude: list[float]
    downsampled: bool
