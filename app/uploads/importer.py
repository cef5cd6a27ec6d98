"""Importing an uploaded file through the push path, one chunk per transaction, resumable.

Each chunk is treated exactly like a push of those samples and commits with its checkpoint
(app/uploads/chunks.py), so a redelivered or continued import resumes where the last commit
left it and nothing is ever counted twice. Two runners of the same upload cannot interleave: a
chunk only commits when the checkpoint it started from is still the stored one.
"""

from __future__ import annotations

import logging
import time
import zlib
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from app.clock import utcnow
from app.errors import ApiError
from app.extensions import db
from app.models import Upload
from app.models.upload import FAILED, RUNNING, SUCCESS
from app.recordings.schemas import SessionIn
from app.recordings.sync_log import push_log
from app.uploads import decoding, readers
from app.uploads.chunks import ImportJob, apply_chunk, batched, lock_upload
from app.uploads.settings import ImportSettings

_SUMMARY_FIELDS = ("state", "lines_processed", "inserted", "updated", "duplicates", "errors")
log = logging.getLogger(__name__)


def _outcome(upload_id: int, outcome: str) -> dict[str, Any]:
    """A JSON-plain summary for the task result."""
    db.session.rollback()
    upload = db.session.get(Upload, upload_id)
    summary = {"outcome": outcome, "upload_id": upload_id}
    if upload is not None:
        summary |= {key: getattr(upload, key) for key in _SUMMARY_FIELDS}
    return summary


def _fail(upload_id: int, message: str) -> dict[str, Any]:
    db.session.rollback()
    upload = lock_upload(upload_id)
    now = utcnow()
    upload.state, upload.error_message = FAILED, message[:2000]
    upload.completed_at = upload.updated_at = now
    db.session.commit()
    return _outcome(upload_id, "failed")


def _finish(job: ImportJob, max_details: int) -> None:
    """Mark the upload done and log it as a push (status and counts like a push's)."""
    db.session.rollback()
    upload = db.session.get(Upload, job.upload_id)
    if upload.recording_session_id is None:  # a file without samples still creates the session
        apply_chunk(job, [], upload.lines_processed, max_details)
    upload = lock_upload(job.upload_id)
    if upload.state != RUNNING:  # another run finished it first
        db.session.rollback()
        return
    now = utcnow()
    upload.state, upload.completed_at, upload.updated_at = SUCCESS, now, now
    upload.file_deleted_at = now  # just below; should that fail, the cleanup task removes it
    db.session.add(
        push_log(
            upload.user_id,
            upload.recording_session_id,
            records=upload.total_records,
            duplicates=upload.duplicates,
            errors=upload.errors,
            details={
                "source": "upload",
                "upload_id": upload.id,
                "inserted": upload.inserted,
                "updated": upload.updated,
                "bytes": upload.size_bytes,
                "lines": upload.lines_processed,
            },
            started_at=upload.started_at or now,
            completed_at=now,
        )
    )
    db.session.commit()
    _delete_file(job.path)


def _delete_file(path: Path) -> None:
    """The samples are stored: the file is no longer needed and no longer counts against the
    user's quota. A failed import keeps its file for diagnosis until the cleanup task runs."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        log.warning("uploaded file %s not deleted; the cleanup task will remove it", path)


def _invalid_file(upload_id: int, settings: ImportSettings, repeats: int) -> str | None:
    """Whether the lines read so far are mostly invalid, blank (read, never a record) or
    `repeats` of a line just before them (this run's count: real recordings have none)."""
    errors, records, lines = db.session.execute(
        select(Upload.errors, Upload.total_records, Upload.lines_processed).where(
            Upload.id == upload_id
        )
    ).one()
    db.session.rollback()
    return settings.mostly_invalid(errors + lines - records + repeats, lines)


def _ingest(job: ImportJob, position: int, settings: ImportSettings) -> str:
    deadline = time.monotonic() + settings.time_budget_s
    records = readers.records(
        job.path,
        job.file_format,
        job.compressed,
        max_bytes=job.max_decoded,
        max_line=settings.max_line,
    )
    remaining = (record for record in records if record.number > position)
    repeats = 0
    for chunk in batched(remaining, settings.chunk_samples, settings.chunk_bytes):
        repeats += sum(record.repeat for record in chunk)
        if job.file_format == readers.NDJSON:
            chunk = [readers.parse_ndjson(record) for record in chunk]
        if not apply_chunk(job, chunk, position, settings.max_error_details, settings.keys):
            return "superseded"
        if reason := _invalid_file(job.upload_id, settings, repeats):
            _fail(job.upload_id, reason)
            return "failed"
        position = chunk[-1].number
        if time.monotonic() > deadline:
            return "continue"
    _finish(job, settings.max_error_details)
    return "done"


def _start(upload_id: int) -> Upload | None:
    """Count this run as an attempt; None when there is nothing (left) to do."""
    upload = lock_upload(upload_id)
    if upload is None or upload.state in (SUCCESS, FAILED):
        db.session.rollback()
        return None
    now = utcnow()
    upload.attempts += 1
    upload.state = RUNNING
    upload.started_at = upload.started_at or now
    upload.updated_at = now
    db.session.commit()
    return upload


def run_import(upload_id: int, settings: ImportSettings) -> dict[str, Any]:
    """Import (the rest of) an upload. `outcome` says what happened:

    done, continue (time budget used: run again), superseded (another run holds it),
    failed, or skipped (already finished or unknown).
    """
    db.session.rollback()
    upload = _start(upload_id)
    if upload is None:
        return _outcome(upload_id, "skipped")
    if upload.attempts > settings.max_attempts:
        return _fail(upload_id, f"Given up after {upload.attempts - 1} runs without progress")
    path = Path(upload.stored_path)
    try:
        job = ImportJob(
            upload_id=upload.id,
            user_id=upload.user_id,
            path=path,
            file_format=upload.file_format,
            compressed=upload.compressed,
            session=SessionIn.model_validate(upload.session_meta),
            max_decoded=settings.decoded_limit(path, upload.compressed),
        )
        if upload.lines_total is None:
            upload.lines_total = decoding.count_lines(job.path, job.compressed, job.max_decoded)
            db.session.commit()
        return _outcome(upload_id, _ingest(job, upload.lines_processed, settings))
    except decoding.TooLarge as error:
        return _fail(upload_id, settings.too_large(error, upload.compressed))
    except (OSError, EOFError, zlib.error) as error:
        return _fail(upload_id, f"The file cannot be read: {error}")
    except ApiError as error:
        return _fail(upload_id, error.message)
    except ValidationError as error:
        return _fail(upload_id, f"Invalid session metadata: {error}")
