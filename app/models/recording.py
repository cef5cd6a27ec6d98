"""Recording sessions and their sensor samples."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.models.base import Base, JSONDocument, UTCDateTime

# SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class RecordingSession(Base):
    """One span of recording on a phone; `session_id` is the client's UUID string."""

    __tablename__ = "recording_sessions"
    __table_args__ = (
        UniqueConstraint("user_id", "session_id"),
        Index("ix_recording_sessions_user_changes", "user_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    session_id: Mapped[str] = mapped_column(String(100))
    start_time: Mapped[datetime] = mapped_column(UTCDateTime)
    end_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    enabled_sensors: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    sample_rate: Mapped[float | None] = mapped_column(Float)
    data_count: Mapped[int] = mapped_column(BigInteger, default=0)
    notes: Mapped[str | None] = mapped_column(Text)
    is_uploaded: Mapped[bool] = mapped_column(Boolean, default=False)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The change stamp that delta pulls filter on; see app/recordings/watermark.py.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Sent by the KooDTX app's own protocol (docs/app-protocol.md).
    device_id: Mapped[str | None] = mapped_column(String(255))
    client_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    has_audio: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Created by samples that arrived before their session; its own upload clears the flag.
    provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SensorType(Base):
    """Names of sensor types ("accelerometer", "gps", ...), stored once.

    Samples refer to them by a 4-byte id: the dedup key (session, type, timestamp) is then
    24 bytes, small enough for PostgreSQL's B-tree to pack pages full when each session's
    timestamps grow (`_bt_afternewitemoff`); with the name in the key, pages stay half empty.
    """

    __tablename__ = "sensor_types"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)


class SensorData(Base):
    """One sample. Written only by the set-based upsert in app/recordings/samples/writing.py.

    Columns are ordered fixed-width first so PostgreSQL packs the row without padding; the
    table carries no index beyond the primary key and the dedup key.
    """

    __tablename__ = "sensor_data"
    # The owner is part of the key, as in sample_chunks, so the table can be distributed by
    # user; last, so the readers' (session, sensor type, timestamp) range scans use it as is.
    __table_args__ = (
        UniqueConstraint(
            "recording_session_id",
            "sensor_type_id",
            "timestamp",
            "user_id",
            name="uq_sensor_data_session_type_timestamp_user",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Deleting a session deletes its samples through a trigger (see the initial migration),
    # not a foreign key, whose check on every inserted sample halved ingest throughput.
    recording_session_id: Mapped[int] = mapped_column(Integer)
    # No foreign key on purpose: ids come from ensure_sensor_types() in the writing
    # transaction and sensor types are never deleted, while a foreign key would cost a lookup
    # per inserted sample (about a third of the ingest time, measured with bench/push_bench.py).
    sensor_type_id: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    # The session's user (no foreign key, for the same reason as above).
    user_id: Mapped[int] = mapped_column(Integer)


class SyncLog(Base):
    """One push or pull, with its counts."""

    __tablename__ = "sync_logs"
    __table_args__ = (Index("ix_sync_logs_user_recent", "user_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    recording_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("recording_sessions.id", ondelete="SET NULL")
    )
    sync_type: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    records_count: Mapped[int] = mapped_column(Integer, default=0)
    duplicates_count: Mapped[int] = mapped_column(Integer, default=0)
    errors_count: Mapped[int] = mapped_column(Integer, default=0)
    error_message: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
