"""All models, importable from one place (Alembic autogenerate sees them through here)."""

from app.models.analysis import SessionAnalysis
from app.models.audio import AudioRecording
from app.models.base import Base
from app.models.chart import ChartSeries
from app.models.chunked_upload import ChunkedUpload, ChunkedUploadPart
from app.models.recording import RecordingSession, SensorData, SensorType, SyncLog
from app.models.sample_chunk import SampleChunk
from app.models.sample_field import SampleField
from app.models.tombstone import SessionTombstone
from app.models.upload import Upload
from app.models.user import RevokedToken, User

__all__ = [
    "AudioRecording",
    "Base",
    "ChartSeries",
    "ChunkedUpload",
    "ChunkedUploadPart",
    "RecordingSession",
    "RevokedToken",
    "SampleChunk",
    "SampleField",
    "SensorData",
    "SensorType",
    "SessionAnalysis",
    "SessionTombstone",
    "SyncLog",
    "Upload",
    "User",
]
