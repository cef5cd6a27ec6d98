"""Resumable uploads of the app: parts sent one request each, assembled on completion."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.models.base import Base, JSONDocument, UTCDateTime


class ChunkedUpload(Base):
    """An upload the app names itself (`uploadId`); open until completed or expired."""

    __tablename__ = "chunked_uploads"
    __table_args__ = (UniqueConstraint("user_id", "upload_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    upload_key: Mapped[str] = mapped_column(String(100))
    total_chunks: Mapped[int] = mapped_column(Integer)
    # The app sends its metadata ({sessionId, dataType, ...}) with chunk 0 only.
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | completed
    # The answer of a completed upload, repeated when the app retries completion.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ChunkedUploadPart(Base):
    """One received part; a part sent again replaces the earlier one."""

    __tablename__ = "chunked_upload_parts"
    __table_args__ = (UniqueConstraint("chunked_upload_id", "chunk_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chunked_upload_id: Mapped[int] = mapped_column(
        ForeignKey("chunked_uploads.id", ondelete="CASCADE")
    )
    chunk_number: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
