"""All models, importable from one place (Alembic autogenerate sees them through here)."""

from app.models.analysis import SessionAnalysis, Upload
from app.models.base import Base
from app.models.recording import RecordingSession, SensorData, SyncLog
from app.models.user import RevokedToken, User

__all__ = [
    "Base",
    "RecordingSession",
    "RevokedToken",
    "SensorData",
    "SessionAnalysis",
    "SyncLog",
    "Upload",
    "User",
]
