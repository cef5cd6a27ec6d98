"""Deleted sessions, remembered so other devices learn of the deletion on their next pull."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime


class SessionTombstone(Base):
    """A session the user deleted; `deleted_at` is the delete's change stamp.

    Pull delivers tombstones stamped at or after `last_sync_time` (app/recordings/watermark.py
    rules); they are purged after `TOMBSTONE_RETENTION_DAYS` (app/recordings/tombstones.py).
    """

    __tablename__ = "session_tombstones"
    __table_args__ = (Index("ix_session_tombstones_user_deleted", "user_id", "deleted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    session_id: Mapped[str] = mapped_column(String(100))
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime)
