"""The `metadata` part the app sends with a file: which session, which kind of data."""

from __future__ import annotations

from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from app.errors import ValidationFailed
from app.recordings.sample_rules import EARLIEST_TIMESTAMP_MS
from app.recordings.schemas import SessionId
from app.validation import parse_model

MAX_METADATA_BYTES = 64 * 1024


class UploadMetadata(BaseModel):
    """`{sessionId, dataType}`; fields the app adds are ignored."""

    model_config = ConfigDict(extra="ignore")

    sessionId: SessionId
    dataType: Literal["sensor", "audio"]
    # Audio only, like the fields of the audio call: when the recording stopped (ms),
    # its length (s) and the app's name for its format.
    timestamp: StrictInt | None = Field(
        default=None, ge=EARLIEST_TIMESTAMP_MS, lt=4_102_444_800_000, description="ms"
    )
    duration: StrictFloat | None = Field(default=None, ge=0, allow_inf_nan=False, description="s")
    format: StrictStr | None = Field(default=None, max_length=20)


def parse_metadata(text: str | None) -> UploadMetadata:
    """The `metadata` form field; 400 when missing, not JSON or not the expected object."""
    if not text:
        raise ValidationFailed(
            "The form field 'metadata' is required: JSON {sessionId, dataType: sensor|audio}"
        )
    if len(text) > MAX_METADATA_BYTES:
        raise ValidationFailed(f"The form field 'metadata' exceeds {MAX_METADATA_BYTES} bytes")
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise ValidationFailed(f"The form field 'metadata' is not valid JSON: {error}") from None
    return parse_model(UploadMetadata, value)
