"""Request and response models of the upload endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, WithJsonSchema

from app.recordings.schemas import SessionIn


class UploadForm(BaseModel):
    """The parts of an upload (for the document: the service reads the file as a stream and
    validates the session part with SessionIn)."""

    file: Annotated[bytes, WithJsonSchema({"type": "string", "format": "binary"})]
    session: SessionIn = Field(description="The push's `session` object, as JSON")
    format: Literal["ndjson", "csv"] = Field(
        default=None, description="Default: by the file name, else by the first line"
    )


class UploadAcceptedOut(BaseModel):
    upload_id: int
    task_id: str | None
    state: str
    status_url: str


class UploadOut(BaseModel):
    """An upload and its import's progress; the counts are a push's (docs/sync.md#counts)."""

    id: int
    task_id: str | None
    state: str = Field(description="pending, running, success or failed")
    session_id: str
    filename: str
    format: str = Field(validation_alias="file_format", description="ndjson or csv")
    compressed: bool
    size_bytes: int
    lines_total: int | None
    lines_processed: int
    total_records: int
    inserted: int
    updated: int
    duplicates: int
    errors: int
    error_details: list[dict[str, Any]]
    error_message: str | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
