"""The /api shape of an audio recording (`recording_json` in app/audio/service.py writes it)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class AudioRecordingOut(BaseModel):
    id: int
    filename: str
    format: str = Field(description="Container found from the file's first bytes, e.g. m4a, wav")
    mime_type: str
    size_bytes: int
    sha256: str = Field(description="Checksum of the file: the same file twice is one recording")
    duration_seconds: float | None
    sample_rate: int | None
    channels: int | None
    started_at: datetime | None = Field(description="Start on the session's time axis")
    created_at: datetime
    url: str = Field(description="Download path, with HTTP Range support")
