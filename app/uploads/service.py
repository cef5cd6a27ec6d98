"""Accepting an upload: validate the session metadata and the file, store both, enqueue."""

from __future__ import annotations

import logging
from pathlib import Path
from uuid import uuid4

import orjson
from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.clock import utcnow
from app.database import begin_write_transaction
from app.errors import NotFound, PayloadTooLarge, ValidationFailed
from app.extensions import db
from app.models import RecordingSession, Upload
from app.models.upload import PENDING
from app.recordings.schemas import SessionIn
from app.uploads import decoding, quota, readers
from app.validation import parse_model
from app.worker import dispatch
from app.worker.task_names import IMPORT_UPLOAD

log = logging.getLogger(__name__)


def _session_meta(field: str | None) -> SessionIn:
    if not field:
        raise ValidationFailed("The form field 'session' (session metadata as JSON) is required")
    try:
        meta = orjson.loads(field)
    except orjson.JSONDecodeError as error:
        raise ValidationFailed(f"The form field 'session' is not valid JSON: {error}") from None
    return parse_model(SessionIn, meta)


def _require_start_time(user_id: int, incoming: SessionIn) -> None:
    """Like a push: a session seen for the first time needs its start_time."""
    if incoming.start_time is not None:
        return
    exists = db.session.scalar(
        select(RecordingSession.id).where(
            RecordingSession.user_id == user_id,
            RecordingSession.session_id == incoming.session_id,
        )
    )
    if exists is None:
        raise ValidationFailed(
            "session.start_time is required when a session is uploaded for the first time"
        )


def _store_file(user_id: int, file: FileStorage) -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / str(user_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid4().hex}.upload"
    file.save(path)
    return path


def _inspect(path: Path, filename: str, format_hint: str | None) -> tuple[int, bool, str]:
    """The stored file's size, compression and format; 400/413 when unusable."""
    size = path.stat().st_size
    if size == 0:
        raise ValidationFailed("The file is empty")
    if size > current_app.config["MAX_UPLOAD_BYTES"]:
        raise PayloadTooLarge(f"The file exceeds {current_app.config['MAX_UPLOAD_BYTES']} bytes")
    compressed = decoding.is_gzip(path)
    return size, compressed, readers.detect_format(path, compressed, filename, format_hint)


def check_quota(user_id: int) -> None:
    """Refuse (429/413) a user already at their upload quota, before their file is read."""
    quota.check(user_id, quota.UploadQuota.from_config(current_app.config))
    db.session.rollback()


def accept_upload(
    user_id: int, file: FileStorage | None, session_field: str | None, format_hint: str | None
) -> Upload:
    """Store the file and a pending upload row (committed, within the user's quota), then
    publish the import.

    When the broker is down the upload stays pending and the stalled-upload sweep publishes
    it later: the file is safe on disk, so the client need not send it again.
    """
    if file is None or not file.filename:
        raise ValidationFailed("The form field 'file' (the samples file) is required")
    incoming = _session_meta(session_field)
    _require_start_time(user_id, incoming)
    path = _store_file(user_id, file)
    try:
        size, compressed, fmt = _inspect(path, file.filename, format_hint)
        # The upload row is added in this transaction, under the lock the check takes.
        begin_write_transaction()
        quota.lock_user(user_id)
        quota.check(user_id, quota.UploadQuota.from_config(current_app.config), size)
    except Exception:
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise
    now = utcnow()
    upload = Upload(
        user_id=user_id,
        session_id=incoming.session_id,
        # What was validated, not the client's JSON: unknown fields (which may hold anything,
        # U+0000 too) are dropped; the fields sent stay sent (last write wins on them).
        session_meta=incoming.model_dump(mode="json", exclude_unset=True),
        filename=Path(file.filename).name[:255],
        stored_path=str(path),
        file_format=fmt,
        compressed=compressed,
        size_bytes=size,
        task_id=str(uuid4()),
        state=PENDING,
        attempts=0,
        error_details=[],
        created_at=now,
        updated_at=now,
    )
    db.session.add(upload)
    db.session.commit()
    dispatch.try_send(IMPORT_UPLOAD, [upload.id], task_id=upload.task_id)
    return upload


def owned_upload(user_id: int, upload_id: int) -> Upload:
    """The caller's upload; 404 for unknown ids and other users' uploads."""
    upload = db.session.scalar(
        select(Upload).where(Upload.id == upload_id, Upload.user_id == user_id)
    )
    if upload is None:
        raise NotFound(f"Upload {upload_id} not found")
    return upload
