"""Compressed column chunks of samples (the cold half of the sample store, docs/storage.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.models.base import Base, JSONDocument, UTCDateTime
from app.models.recording import BigId

# Chunks below this size are merged by compaction; the partial index finds sessions holding
# them without reading the big ones (app/recordings/samples/compaction.py).
SMALL_CHUNK_SAMPLES = 10_000


class SampleChunk(Base):
    """The samples of one session and sensor type over [first_timestamp, last_timestamp], as one
    payload of app/recordings/chunk_codec.py plus the change stamp of each sample.

    Chunks are immutable: compaction and late writes replace them (delete + insert), so a reader
    that has listed a chunk may fetch its payload later. No row of `sensor_data` of the same
    session and sensor type lies inside a chunk's span, and chunks of one sensor type never
    overlap. `user_id` is in the unique key so the table can later be distributed by user.
    """

    __tablename__ = "sample_chunks"
    __table_args__ = (
        UniqueConstraint(
            "user_id",
            "recording_session_id",
            "sensor_type_id",
            "first_timestamp",
            name="uq_sample_chunks_user_session_type_first",
        ),
        Index(
            "ix_sample_chunks_session_span",
            "recording_session_id",
            "sensor_type_id",
            "first_timestamp",
        ),
        Index(
            "ix_sample_chunks_small",
            "recording_session_id",
            "sensor_type_id",
            postgresql_where=text(f"sample_count < {SMALL_CHUNK_SAMPLES}"),
            sqlite_where=text(f"sample_count < {SMALL_CHUNK_SAMPLES}"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    recording_session_id: Mapped[int] = mapped_column(
        ForeignKey("recording_sessions.id", ondelete="CASCADE")
    )
    sensor_type_id: Mapped[int] = mapped_column(Integer)  # no foreign key, like sensor_data
    first_timestamp: Mapped[int] = mapped_column(BigInteger)
    last_timestamp: Mapped[int] = mapped_column(BigInteger)
    sample_count: Mapped[int] = mapped_column(Integer)
    # The newest change stamp of its samples: a delta pull skips the chunk below it.
    max_updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # {field: [min, max]} of the typed fields (chunk_codec.ChunkMeta), for answers without
    # decoding.
    field_ranges: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    # Compressed already: stored without PostgreSQL's own compression (migration 0009).
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    # Each sample's change stamp (µs since the epoch), in timestamp order: a Parquet column.
    stamps: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
