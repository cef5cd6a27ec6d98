"""The shapes of a session and of a sample as every endpoint returns them, written once.

`session_json` is the response model itself applied to a row, so the document and the answer
cannot differ. Samples are not serialised through a model: pull, the data pages and the
exports write them as stored JSON text at hundreds of thousands a second (docs/sync.md#pull),
and tests check that what they write is what `SampleOut` documents.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.models import RecordingSession

SESSION_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,99}$"


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


class SampleOut(BaseModel):
    sensor_type: str
    timestamp: int
    data: dict[str, Any]


def session_json(session: RecordingSession) -> dict[str, Any]:
    """The session as `SessionMetaOut` documents it (datetimes left to the JSON codec)."""
    return SessionMetaOut.model_validate(session, from_attributes=True).model_dump()
