"""File uploads: the durable record of import tasks and their checkpoints.

Like `session_analyses`, the table records who owns a task: `GET /api/tasks/<task_id>` finds
an import through it and answers only the owner of the upload.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.models.base import Base, JSONDocument, UTCDateTime

# An upload's life cycle (the values of `state`): pending → running → success | failed.
PENDING, RUNNING, SUCCESS, FAILED = "pending", "running", "success", "failed"
OPEN_STATES = (PENDING, RUNNING)


class Upload(Base):
    """A file of samples for one session, imported in chunks by `import_upload`.

    The counters are the checkpoint: each chunk commits its samples together with the new
    `lines_processed` and counts, so a redelivered import resumes without counting twice.
    """

    __tablename__ = "uploads"
    __table_args__ = (
        Index("ix_uploads_user_recent", "user_id", "id"),
        Index("ix_uploads_task_id", "task_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    recording_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("recording_sessions.id", ondelete="SET NULL")
    )
    session_id: Mapped[str] = mapped_column(String(100))
    session_meta: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    filename: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(1024))
    file_format: Mapped[str] = mapped_column(String(10))
    compressed: Mapped[bool] = mapped_column(Boolean, default=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    task_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lines_total: Mapped[int | None] = mapped_column(BigInteger)
    lines_processed: Mapped[int] = mapped_column(BigInteger, default=0)
    total_records: Mapped[int] = mapped_column(BigInteger, default=0)
    inserted: Mapped[int] = mapped_column(BigInteger, default=0)
    updated: Mapped[int] = mapped_column(BigInteger, default=0)
    duplicates: Mapped[int] = mapped_column(BigInteger, default=0)
    errors: Mapped[int] = mapped_column(BigInteger, default=0)
    error_details: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    file_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
