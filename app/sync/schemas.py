"""Request models of the sync endpoints, and the per-sample rules of a push."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import orjson
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from typing_extensions import TypedDict

from app.recordings import cursors
from app.recordings.sample_keys import KeyLimits, key_problems
from app.recordings.schemas import SESSION_ID_PATTERN, SampleOut, SessionMetaOut
from app.validation import JsonInt, describe_errors

SENSOR_TYPE_PATTERN = r"^[a-z0-9_]{1,50}$"
EARLIEST_TIMESTAMP_MS = 946_684_800_000  # 2000-01-01T00:00:00Z
FUTURE_TOLERANCE = timedelta(days=1)

SensorType = Annotated[str, StringConstraints(pattern=SENSOR_TYPE_PATTERN, strict=True)]
# PostgreSQL text cannot hold U+0000: refused here, a NUL in the notes would be a 500.
NotesText = Annotated[str, StringConstraints(max_length=10_000, pattern=r"^[^\x00]*$", strict=True)]
SessionId = Annotated[str, StringConstraints(pattern=SESSION_ID_PATTERN, strict=True)]


def _iso_string(value: Any) -> Any:
    """Only ISO 8601 strings are times here (pydantic would also take numbers)."""
    if value is not None and not isinstance(value, (str, datetime)):
        raise ValueError("must be an ISO 8601 date-time string")
    return value


def as_utc(value: datetime | None) -> datetime | None:
    """Naive times are UTC; aware ones are converted to it."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Timestamp = Annotated[datetime, BeforeValidator(_iso_string)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)


class SessionIn(_Strict):
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


class PushRequest(_Strict):
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


@dataclass(frozen=True)
class PullCursor:
    """Where a keyset walk of pull pages stands, and the watermark of its first page."""

    updated_at: datetime
    id: int
    watermark: datetime

    def encode(self) -> str:
        return cursors.encode(
            cursors.PULL_CURSOR,
            cursors.microseconds(self.updated_at),
            self.id,
            cursors.microseconds(self.watermark),
        )

    @classmethod
    def decode(cls, text: str) -> PullCursor:
        """ValueError unless `text` is a cursor of this server's format (and range)."""
        updated_at, id_, watermark = cursors.fields(cursors.PULL_CURSOR, text)
        return cls(
            cursors.from_microseconds(updated_at),
            int(id_),
            cursors.from_microseconds(watermark),
        )


class PullRequest(_Strict):
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


class SampleIn(TypedDict):
    __pydantic_config__ = ConfigDict(strict=True, extra="ignore")  # type: ignore[misc]

    sensor_type: SensorType
    timestamp: Annotated[int, Field(strict=True, ge=EARLIEST_TIMESTAMP_MS)]
    data: dict[str, Any]


_SAMPLES = TypeAdapter(list[SampleIn])


def split_samples(
    raw: list[Any], now: datetime, *, check_numbers: bool, keys: KeyLimits
) -> tuple[list[tuple[int, SampleIn]], list[dict[str, Any]]]:
    """Separate valid samples (with their index) from invalid ones (`{"index", "error"}`).

    One validation pass in pydantic's core for the whole batch; a second pass only over the
    survivors when some samples failed.
    """
    latest_ms = int((now + FUTURE_TOLERANCE).timestamp() * 1000)
    problems: dict[int, str] = {}
    try:
        valid = _SAMPLES.validate_python(raw)
        indexed = list(enumerate(valid))
    except ValidationError as error:
        for problem in describe_errors(error):
            index_text, _, field = problem["field"].partition(".")
            index = int(index_text)
            problems.setdefault(index, f"{field or 'sample'}: {problem['message']}")
        survivors = [i for i in range(len(raw)) if i not in problems]
        revalidated = _SAMPLES.validate_python([raw[i] for i in survivors])
        indexed = list(zip(survivors, revalidated, strict=True))
    for index, sample in indexed:
        if sample["timestamp"] > latest_ms:
            problems[index] = "timestamp: must not be later than server time + 1 day"
        elif check_numbers and not _storable(sample["data"]):
            problems[index] = "data: numbers must be finite and within the 64-bit range"
    for index, problem in _unserialisable(indexed).items():
        problems.setdefault(index, problem)
    for index, problem in key_problems(indexed, keys).items():
        problems.setdefault(index, problem)
    if problems:
        indexed = [(i, s) for i, s in indexed if i not in problems]
    errors = [{"index": i, "error": problems[i]} for i in sorted(problems)]
    return indexed, errors


def _unserialisable(indexed: list[tuple[int, SampleIn]]) -> dict[int, str]:
    """Samples whose data cannot be written: nested deeper than orjson serialises (254 levels;
    the parser accepts 1024) or holding U+0000, which PostgreSQL's jsonb rejects. Both were a
    500. The common case costs one C-level dump of the batch's data."""
    try:
        blob = orjson.dumps([sample["data"] for _, sample in indexed])
        if b"\\u0000" not in blob:
            return {}
    except TypeError:
        pass
    found = {}
    for index, sample in indexed:
        try:
            orjson.dumps(sample["data"])
        except TypeError:
            found[index] = "data: nested too deeply or not serialisable"
            continue
        if _has_nul(sample["data"]):
            found[index] = "data: text must not contain U+0000"
    return found


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any("\x00" in key or _has_nul(v) for key, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _storable(value: Any) -> bool:
    """True when every number is finite and fits 64 bits (what the fast parser guarantees)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int):
        return -(2**63) <= value < 2**64
    if isinstance(value, dict):
        return all(_storable(v) for v in value.values())
    if isinstance(value, list):
        return all(_storable(v) for v in value)
    return True


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
