"""Request and response models of the app's audio and file-upload calls.

Form fields arrive as text; numbers are read as the app writes them (`n.toString()`), so
"1700000000000" is an integer and "NaN" is refused.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

from app.app_protocol.file_uploads.chunks import UPLOAD_KEY
from app.app_protocol.file_uploads.metadata import UploadMetadata
from app.audio.service import LATEST_TIMESTAMP_MS
from app.recordings.sample_rules import EARLIEST_TIMESTAMP_MS
from app.recordings.schemas import SessionId

Binary = Annotated[bytes, WithJsonSchema({"type": "string", "format": "binary"})]
UploadKey = Annotated[
    str, StringConstraints(pattern=f"^{UPLOAD_KEY.pattern}$", strict=True, max_length=100)
]
ShortText = Annotated[str, StringConstraints(max_length=20, pattern=r"^[^\x00]*$")]


class AudioFieldsIn(BaseModel):
    """The text parts of SyncManager's audio upload; each may be left out (a form part has
    no null)."""

    model_config = ConfigDict(extra="ignore")

    sessionId: SessionId = Field(default=None, description="The path's session, if sent")
    timestamp: int = Field(
        default=None,
        ge=EARLIEST_TIMESTAMP_MS,
        lt=LATEST_TIMESTAMP_MS,
        description="Milliseconds since 1970-01-01 UTC when the recording stopped",
    )
    duration: float = Field(default=None, ge=0, allow_inf_nan=False, description="Seconds")
    sampleRate: int = Field(default=None, ge=1, le=1_000_000)
    channels: int = Field(default=None, ge=1, le=64)
    format: ShortText = Field(default=None, description="The app's name for it, e.g. m4a")


class AppAudioForm(AudioFieldsIn):
    """The whole multipart body, for the document."""

    file: Binary


class AppUploadForm(BaseModel):
    file: Binary
    metadata: UploadMetadata = Field(description="As JSON")


class ChunkFieldsIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    uploadId: UploadKey
    chunkNumber: int = Field(ge=0, description="From 0")
    totalChunks: int = Field(ge=1)
    metadata: str = Field(default=None, description="With chunk 0 only, as for /upload")


class AppChunkForm(BaseModel):
    """The chunk's multipart body, for the document (metadata is a JSON part)."""

    chunk: Binary
    uploadId: UploadKey
    chunkNumber: int = Field(ge=0, description="From 0, below totalChunks")
    totalChunks: int = Field(ge=1, description="At most CHUNKED_UPLOAD_MAX_CHUNKS (2048)")
    metadata: UploadMetadata = Field(default=None, description="With chunk 0 only, as JSON")


class AppCompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uploadId: UploadKey


class AppAudioRecordingOut(BaseModel):
    id: str
    sessionId: str
    fileName: str
    fileSize: int
    mimeType: str
    format: str
    checksum: str
    duration: float | None
    sampleRate: int | None
    channels: int | None
    startTime: int | None
    timestamp: int | None
    url: str
    uploadedAt: int


class AppAudioOut(BaseModel):
    success: bool
    data: AppAudioRecordingOut


class AppUploadResponseOut(BaseModel):
    """`UploadResponse` of src/api/upload.ts."""

    fileId: str
    fileName: str
    fileSize: int
    mimeType: str
    url: str
    uploadedAt: int


class AppUploadOut(BaseModel):
    success: bool
    data: AppUploadResponseOut


class AppChunkResponseOut(BaseModel):
    """`ChunkUploadResponse` of src/api/upload.ts."""

    chunkId: str
    chunkNumber: int
    totalChunks: int
    uploaded: bool


class AppChunkOut(BaseModel):
    success: bool
    data: AppChunkResponseOut
