"""Completing a resumable upload: every part there, one completing request at a time, the
parts joined in order, the answer kept for retries and the parts dropped."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update

from app.app_protocol.file_uploads.chunks import (
    COMPLETED,
    COMPLETING,
    OPEN,
    UPLOAD_KEY,
    find,
    part_path,
    parts_folder,
)
from app.audio import storage
from app.clock import utcnow
from app.database import begin_write_transaction
from app.errors import Conflict, NotFound
from app.extensions import db
from app.models import ChunkedUpload, ChunkedUploadPart


def owned_upload(user_id: int, upload_key: str) -> ChunkedUpload:
    upload = find(user_id, upload_key) if UPLOAD_KEY.fullmatch(upload_key) else None
    if upload is None or (upload.state == OPEN and upload.expires_at <= utcnow()):
        raise NotFound(f"Upload {upload_key!r} not found (unknown, or expired)")
    return upload


def received_parts(upload: ChunkedUpload) -> list[int]:
    query = select(ChunkedUploadPart.chunk_number).where(
        ChunkedUploadPart.chunked_upload_id == upload.id
    )
    return sorted(db.session.scalars(query))


def missing_parts(upload: ChunkedUpload) -> list[int]:
    received = set(received_parts(upload))
    return [n for n in range(upload.total_chunks) if n not in received]


def assemble(upload: ChunkedUpload, target: Path, max_bytes: int) -> storage.StoredFile:
    """Join the parts in order into `target` (413 past `max_bytes`)."""
    parts = (part_path(upload, n) for n in range(upload.total_chunks))
    return storage.concatenate(parts, target, max_bytes)


def claim(upload: ChunkedUpload) -> None:
    """Make this request the one completing the upload (409 while another one is), so two
    completions sent together never handle the file twice."""
    begin_write_transaction()
    claimed = db.session.execute(
        update(ChunkedUpload)
        .where(ChunkedUpload.id == upload.id, ChunkedUpload.state == OPEN)
        .values(state=COMPLETING)
    ).rowcount
    db.session.commit()
    if not claimed:
        raise Conflict("This upload is being completed by another request; try again shortly")


def release(upload: ChunkedUpload) -> None:
    """Give a claimed upload back (its file was refused): it can be completed again."""
    db.session.rollback()
    begin_write_transaction()
    db.session.execute(
        update(ChunkedUpload)
        .where(ChunkedUpload.id == upload.id, ChunkedUpload.state == COMPLETING)
        .values(state=OPEN)
    )
    db.session.commit()


def finish(upload: ChunkedUpload, result: dict[str, Any]) -> None:
    """Mark the upload complete with its answer (repeated to retries) and drop its parts."""
    begin_write_transaction()
    upload = db.session.merge(upload)
    upload.state, upload.result = COMPLETED, result
    db.session.execute(
        delete(ChunkedUploadPart).where(ChunkedUploadPart.chunked_upload_id == upload.id)
    )
    db.session.commit()
    shutil.rmtree(parts_folder(upload), ignore_errors=True)
