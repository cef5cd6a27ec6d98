"""Stored analysis results: the durable record of analysis tasks.

The table also records *who owns a task*: `GET /api/tasks/<task_id>` finds the task through
it (or through `uploads`, app/models/upload.py) and answers only the owner.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.models.base import Base, JSONDocument, UTCDateTime


class SessionAnalysis(Base):
    """One analysis result (`kind`) of one session, written by the task `task_id`.

    `(task_id, kind)` is unique, so a redelivered task overwrites its own row instead of
    adding a second one. `source_updated_at` is the session's change stamp the result
    describes; a newer stamp means the result is stale.
    """

    __tablename__ = "session_analyses"
    __table_args__ = (
        Index("ix_session_analyses_task_id_kind", "task_id", "kind", unique=True),
        Index("ix_session_analyses_session_kind", "recording_session_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_session_id: Mapped[int] = mapped_column(
        ForeignKey("recording_sessions.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(32))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    task_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
