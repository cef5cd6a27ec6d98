"""Resumable uploads: parts stored one request each (idempotently), joined on completion.

The app names the upload (`uploadId`) and numbers parts from 0; a part sent again replaces
the earlier one. Parts live under UPLOAD_FOLDER/chunks/<user>/<upload>/ until completion, or
until the upload expires (CHUNKED_UPLOAD_EXPIRY_HOURS) and `delete_expired` removes it.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from app.app_protocol.file_uploads.metadata import UploadMetadata
from app.audio import storage
from app.clock import utcnow
from app.database import begin_write_transaction
from app.errors import Conflict, PayloadTooLarge, TooManyRequests, ValidationFailed
from app.extensions import db
from app.models import ChunkedUpload, ChunkedUploadPart
from app.uploads import quota

UPLOAD_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,99}")
OPEN, COMPLETING, COMPLETED = "open", "completing", "completed"
EXPIRY_BATCH = 500


@dataclass(frozen=True)
class ChunkIn:
    upload_key: str
    chunk_number: int
    total_chunks: int
    meta: UploadMetadata | None


def max_assembled_bytes() -> int:
    return max(current_app.config["MAX_UPLOAD_BYTES"], current_app.config["MAX_AUDIO_BYTES"])


def _folder(user_id: int, upload_id: int, created_at) -> Path:
    # The creation time makes the name unique even where a deleted row's id is used again.
    stamp = int(created_at.timestamp() * 1_000_000)
    return (
        Path(current_app.config["UPLOAD_FOLDER"]) / "chunks" / str(user_id) / f"{upload_id}-{stamp}"
    )


def parts_folder(upload: ChunkedUpload) -> Path:
    return _folder(upload.user_id, upload.id, upload.created_at)


def part_path(upload: ChunkedUpload, number: int) -> Path:
    return parts_folder(upload) / f"{number}.part"


def check_chunk(upload_key: str, chunk_number: int, total_chunks: int) -> None:
    """400 for an upload id or numbers the app could not have sent."""
    limit = current_app.config["CHUNKED_UPLOAD_MAX_CHUNKS"]
    if not UPLOAD_KEY.fullmatch(upload_key):
        raise ValidationFailed("uploadId must be 1-100 letters, digits, '_', '.', ':' or '-'")
    if not 1 <= total_chunks <= limit:
        raise ValidationFailed(f"totalChunks must be between 1 and {limit}")
    if not 0 <= chunk_number < total_chunks:
        raise ValidationFailed("chunkNumber must be between 0 and totalChunks - 1")


def find(user_id: int, upload_key: str) -> ChunkedUpload | None:
    return db.session.scalar(
        select(ChunkedUpload).where(
            ChunkedUpload.user_id == user_id, ChunkedUpload.upload_key == upload_key
        )
    )


def _open_count(user_id: int) -> int:
    return db.session.scalar(
        select(func.count()).where(
            ChunkedUpload.user_id == user_id,
            ChunkedUpload.state == OPEN,
            ChunkedUpload.expires_at > utcnow(),
        )
    )


def _create(user_id: int, chunk: ChunkIn) -> ChunkedUpload:
    """A new upload, if the user has fewer than CHUNKED_UPLOAD_MAX_PENDING open (429)."""
    quota.lock_user(user_id)
    limit = current_app.config["CHUNKED_UPLOAD_MAX_PENDING"]
    if _open_count(user_id) >= limit:
        raise TooManyRequests(
            f"You have {limit} unfinished uploads; complete them or wait until they expire",
            {"max_pending_uploads": limit},
        )
    hours = current_app.config["CHUNKED_UPLOAD_EXPIRY_HOURS"]
    upload = ChunkedUpload(
        user_id=user_id,
        upload_key=chunk.upload_key,
        total_chunks=chunk.total_chunks,
        state=OPEN,
        created_at=utcnow(),
        expires_at=utcnow() + timedelta(hours=hours),
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def _open_upload(user_id: int, chunk: ChunkIn) -> ChunkedUpload:
    upload = find(user_id, chunk.upload_key)
    if upload is None:
        upload = _create(user_id, chunk)
    elif upload.state != OPEN:
        raise Conflict(f"Upload {chunk.upload_key!r} is already complete; start a new upload")
    elif upload.total_chunks != chunk.total_chunks:
        raise Conflict(
            f"totalChunks is {upload.total_chunks} for upload {chunk.upload_key!r}, "
            f"not {chunk.total_chunks}"
        )
    if chunk.meta is not None:
        upload.meta = chunk.meta.model_dump(mode="json", exclude_none=True)
    # An upload in progress does not expire: the time counts from its last part.
    upload.expires_at = utcnow() + timedelta(
        hours=current_app.config["CHUNKED_UPLOAD_EXPIRY_HOURS"]
    )
    return upload


def _other_parts_bytes(upload: ChunkedUpload, number: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(ChunkedUploadPart.size_bytes), 0)).where(
            ChunkedUploadPart.chunked_upload_id == upload.id,
            ChunkedUploadPart.chunk_number != number,
        )
    )


def _upsert_part(upload: ChunkedUpload, number: int, stored: storage.StoredFile) -> None:
    values = {
        "chunked_upload_id": upload.id,
        "chunk_number": number,
        "size_bytes": stored.size,
        "sha256": stored.sha256,
        "received_at": utcnow(),
    }
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(ChunkedUploadPart).values(values)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["chunked_upload_id", "chunk_number"],
            set_={k: statement.excluded[k] for k in ("size_bytes", "sha256", "received_at")},
        )
    )


def _record_part(user_id: int, chunk: ChunkIn, stored: storage.StoredFile) -> ChunkedUpload:
    begin_write_transaction()
    upload = _open_upload(user_id, chunk)
    total = _other_parts_bytes(upload, chunk.chunk_number) + stored.size
    if total > max_assembled_bytes():
        raise PayloadTooLarge(f"The upload would exceed {max_assembled_bytes()} bytes")
    _upsert_part(upload, chunk.chunk_number, stored)
    target = part_path(upload, chunk.chunk_number)
    target.parent.mkdir(parents=True, exist_ok=True)
    stored.path.replace(target)  # before the commit: a failed commit leaves a part no row names
    db.session.commit()
    return upload


def receive_chunk(user_id: int, chunk: ChunkIn, source: BinaryIO) -> dict[str, Any]:
    """Store one part; the same part again replaces it. Returns the app's ChunkUploadResponse."""
    check_chunk(chunk.upload_key, chunk.chunk_number, chunk.total_chunks)
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "chunks" / str(user_id)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    stored = storage.save_stream(source, storage.new_path(folder), limit, allow_empty=True)
    try:
        try:
            upload = _record_part(user_id, chunk, stored)
        except IntegrityError:  # two parts of a new upload at once: the other created it
            db.session.rollback()
            upload = _record_part(user_id, chunk, stored)
    except BaseException:
        db.session.rollback()
        stored.path.unlink(missing_ok=True)
        raise
    return {
        "chunkId": f"{chunk.upload_key}:{chunk.chunk_number}",
        "chunkNumber": chunk.chunk_number,
        "totalChunks": upload.total_chunks,
        "uploaded": True,
    }


def _delete_expired_batch(now) -> int:
    begin_write_transaction()
    expired = db.session.execute(
        select(ChunkedUpload.id, ChunkedUpload.user_id, ChunkedUpload.created_at)
        .where(ChunkedUpload.expires_at <= now)
        .order_by(ChunkedUpload.id)
        .limit(EXPIRY_BATCH)
    ).all()
    ids = [row.id for row in expired]
    db.session.execute(delete(ChunkedUpload).where(ChunkedUpload.id.in_(ids)))
    db.session.commit()
    for row in expired:
        shutil.rmtree(_folder(row.user_id, row.id, row.created_at), ignore_errors=True)
    return len(ids)


def delete_expired() -> dict[str, Any]:
    """Uploads past their expiry (unfinished, or completed and kept for retries) with their
    parts, in batches."""
    now, deleted = utcnow(), 0
    while (count := _delete_expired_batch(now)) > 0:
        deleted += count
        if count < EXPIRY_BATCH:
            break
    return {"uploads_deleted": deleted}
