"""Request models of the app protocol: the app's camelCase fields, strict types, caps.

They reuse the rules of /api where the thing is the same (session ids, sensor type names,
notes, e-mail addresses, passwords), so a value valid on one protocol is valid on the other.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
    model_validator,
)

from app.app_protocol.times import LATEST_MS, EpochMs, from_ms
from app.auth.schemas import Email, Password
from app.recordings.schemas import NotesText, SensorType, SessionId
from app.validation import JsonInt

MAX_METADATA_BYTES = 16 * 1024
MAX_PUSH_ITEMS = 100  # each item is its own transaction: bounds a request's duration
MAX_SENSOR_LIST = 64

Text255 = Annotated[str, StringConstraints(max_length=255, pattern=r"^[^\x00]*$", strict=True)]
Token = Annotated[str, StringConstraints(min_length=1, max_length=4096, strict=True)]


def _plain_numbers(value: Any) -> bool:
    """Finite and below 2**63 in magnitude: PostgreSQL's jsonb writes 1e20 back as the integer
    100000000000000000000, which no 64-bit JSON encoder (orjson) can answer with."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return True
    if isinstance(value, (int, float)):
        return math.isfinite(value) and abs(value) < 2**63
    if isinstance(value, dict):
        return all(_plain_numbers(v) for v in value.values())
    return all(_plain_numbers(v) for v in value) if isinstance(value, list) else True


def _bounded_json(value: dict[str, Any]) -> dict[str, Any]:
    """Client metadata is stored as given: at most 16 KiB as JSON, no U+0000 (PostgreSQL),
    numbers every encoder can write back."""
    if not _plain_numbers(value):
        raise ValueError("numbers must be finite and below 2^63 in magnitude")
    try:
        blob = orjson.dumps(value)
    except TypeError:
        raise ValueError("must be JSON nested at most 254 levels") from None
    if len(blob) > MAX_METADATA_BYTES:
        raise ValueError(f"must be at most {MAX_METADATA_BYTES} bytes as JSON")
    if b"\\u0000" in blob:
        raise ValueError("must not contain U+0000")
    return value


ClientMetadata = Annotated[dict[str, Any], AfterValidator(_bounded_json)]
SensorList = Annotated[list[SensorType], Field(max_length=MAX_SENSOR_LIST)]


class _AppModel(BaseModel):
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)


class AppRegisterIn(_AppModel):
    name: Annotated[
        str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00]*$", strict=True)
    ]
    email: Email
    password: Password


class AppLoginIn(_AppModel):
    email: Annotated[str, StringConstraints(min_length=1, max_length=255, strict=True)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)]


class RefreshIn(_AppModel):
    refreshToken: Token


class LogoutIn(_AppModel):
    refreshToken: Token | None = None


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, type(None))):
        raise ValueError("must be a number")
    return value


class SessionWriteIn(_AppModel):
    """`POST /sessions` from either of the app's two clients.

    SyncManager sends its own `sessionId` with the session's fields; `sessions.ts` sends
    `deviceId`, `sensorTypes`, `hasAudio`, `metadata` and lets the server choose id and start.
    Fields left out keep their stored value (last write wins on exactly the fields sent).
    """

    sessionId: SessionId | None = None
    startTime: EpochMs | None = None
    endTime: EpochMs | None = None
    isActive: StrictBool | None = None
    enabledSensors: SensorList | None = None
    sensorTypes: SensorList | None = None
    sampleRate: float | None = Field(default=None, gt=0, le=100_000)
    notes: NotesText | None = None
    deviceId: Text255 | None = None
    hasAudio: StrictBool | None = None
    metadata: ClientMetadata | None = None

    _sample_rate_is_a_number = field_validator("sampleRate", mode="before")(_number)

    @model_validator(mode="after")
    def _consistent(self) -> SessionWriteIn:
        if self.startTime and self.endTime and self.endTime < self.startTime:
            raise ValueError("endTime must not be before startTime")
        return self


class SessionPatchIn(_AppModel):
    """`PATCH /sessions/{id}` (`src/api/sessions.ts` sends endTime and metadata)."""

    endTime: EpochMs | None = None
    metadata: ClientMetadata | None = None
    notes: NotesText | None = None
    isActive: StrictBool | None = None


class AppSessionListQuery(_AppModel):
    """`PaginationParams` of `src/api/types.ts`, as query-string text."""

    page: int = Field(default=1, ge=1, le=1_000_000)
    limit: int = Field(default=20, ge=1, le=100)
    sortBy: Literal["startTime", "createdAt", "updatedAt"] = "startTime"
    sortOrder: Literal["asc", "desc"] = "desc"


class SensorDataIn(_AppModel):
    data: list[Any] = Field(
        description="Flat records `{timestamp (ms), sensorType, x, y, z, latitude, longitude, "
        "altitude, accuracy, speed, heading}` (unused fields null); each is checked on its own "
        "and an invalid one is skipped and reported. At most MAX_SAMPLES_PER_PUSH records."
    )


class PushIn(_AppModel):
    items: list[Any] = Field(
        max_length=MAX_PUSH_ITEMS,
        description="SyncItems `{id, type, localId, status, priority, createdAt, updatedAt, "
        "data}`; each is applied on its own and a bad one fails with a reason.",
    )
    batchId: Text255 | None = None


class SyncItemIn(_AppModel):
    """One item of a push (checked item by item, so one bad item fails only itself)."""

    id: Text255 | None = None
    type: Literal["session", "metadata", "sensor_data", "audio"]
    localId: Text255
    data: dict[str, Any] | None = None


class PullIn(_AppModel):
    lastSyncTimestamp: JsonInt = Field(
        default=0, ge=0, lt=LATEST_MS, description="0 (or left out): everything"
    )
    types: list[Literal["session", "metadata"]] = Field(
        default_factory=lambda: ["session", "metadata"], min_length=1, max_length=2
    )
    limit: JsonInt = Field(default=50, ge=1, le=100)

    @property
    def since(self) -> datetime | None:
        return None if self.lastSyncTimestamp == 0 else from_ms(self.lastSyncTimestamp)
