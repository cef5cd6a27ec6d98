"""Request and response models of the sync endpoints (shared shapes: app/recordings/schemas.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StrictBool, StringConstraints, field_validator

from app.clock import as_utc
from app.recordings import cursors
from app.recordings.cursors import PullCursor
from app.recordings.schemas import (
    SampleOut,
    SessionId,
    SessionIn,
    SessionMetaOut,
    StrictModel,
    Timestamp,
)
from app.validation import JsonInt


class PushRequest(StrictModel):
    session: SessionIn
    # Each item is checked on its own (see `split_samples`): invalid samples are skipped and
    # reported, so the envelope accepts any list.
    sensor_data: list[Any] = Field(
        default_factory=list,
        description="Samples `{sensor_type: [a-z0-9_]{1,50}, timestamp: ms since epoch (int), "
        "data: object}`; invalid ones are skipped and reported in `error_details`. At most "
        "MAX_SAMPLES_PER_PUSH (default 50,000). `data` may hold at most MAX_SAMPLE_KEYS "
        "(default 64) top-level keys of at most MAX_SAMPLE_KEY_LENGTH (default 64) characters "
        "(keys of nested objects are not limited), and a session may hold at most "
        "MAX_SESSION_SENSOR_KEYS (default 256) distinct top-level keys per sensor type: a "
        "sample that would add more is skipped and reported (samples are considered per "
        "sensor type in timestamp order).",
    )


class PullRequest(StrictModel):
    last_sync_time: Timestamp | None = None
    session_ids: list[SessionId] | None = Field(default=None, max_length=1000)
    page: JsonInt = Field(default=1, ge=1, le=1_000_000)
    page_size: JsonInt = Field(default=50, ge=1, le=100)
    include_data: StrictBool = True
    cursor: (
        Annotated[
            str,
            StringConstraints(pattern=cursors.schema_pattern(cursors.PULL_CURSOR), strict=True),
        ]
        | None
    ) = Field(
        default=None,
        description="Keyset alternative to `page`: the `next_cursor` of the previous page",
    )

    @field_validator("last_sync_time")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value)

    @property
    def position(self) -> PullCursor | None:
        return PullCursor.decode(self.cursor) if self.cursor else None


# Response models (documentation and schema checks; the routes build plain dicts).


class SampleErrorOut(BaseModel):
    index: int
    error: str


class PushOut(BaseModel):
    message: str
    session_id: str
    total_records: int
    inserted: int
    updated: int
    duplicates: int
    errors: int
    error_details: list[SampleErrorOut]
    sync_log_id: int
    session_data_count: int


class SessionOut(SessionMetaOut):
    sensor_data: list[SampleOut] | None = Field(
        default=None, description="Present unless include_data is false"
    )


class PullOut(BaseModel):
    sessions: list[SessionOut]
    server_timestamp: datetime
    page: int
    page_size: int
    total: int
    has_more: bool
    next_cursor: str | None
    sync_log_id: int
    deleted_session_ids: list[str] = Field(
        description="Sessions deleted since last_sync_time (all retained deletions without it)"
    )
    full_resync_required: bool = Field(
        description="last_sync_time is older than the deletion retention: pull everything again"
    )


class SyncLogOut(BaseModel):
    id: int
    sync_type: str
    status: str
    records_count: int
    duplicates_count: int
    errors_count: int
    error_message: str | None
    details: dict[str, Any]
    started_at: datetime
    completed_at: datetime | None


class StatusOut(BaseModel):
    total_sessions: int
    active_sessions: int
    uploaded_sessions: int
    total_records: int
    last_push_at: datetime | None
    last_pull_at: datetime | None
    recent_syncs: list[SyncLogOut]
