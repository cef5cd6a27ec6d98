"""Audio recordings attached to sessions; the files live under AUDIO_FOLDER."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.models.base import Base, UTCDateTime


class AudioRecording(Base):
    """One audio file of a session. The same bytes sent twice (same SHA-256) are one row."""

    __tablename__ = "audio_recordings"
    __table_args__ = (UniqueConstraint("recording_session_id", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    recording_session_id: Mapped[int] = mapped_column(
        ForeignKey("recording_sessions.id", ondelete="CASCADE"), index=True
    )
    sha256: Mapped[str] = mapped_column(String(64))
    # Relative to AUDIO_FOLDER, so the folder can move.
    stored_path: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    # What the bytes are (sniffed), not what the client said.
    format: Mapped[str] = mapped_column(String(10))
    mime_type: Mapped[str] = mapped_column(String(50))
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    sample_rate: Mapped[int | None] = mapped_column(Integer)
    channels: Mapped[int | None] = mapped_column(Integer)
    # When the recording started, on the session's clock (see docs/audio.md#time-axis).
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The client's own values, kept as sent for diagnosis.
    client_timestamp_ms: Mapped[int | None] = mapped_column(BigInteger)
    client_format: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
