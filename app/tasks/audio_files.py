"""Housekeeping of audio recordings and of the app's unfinished resumable uploads (Beat)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from app.app_protocol.file_uploads import chunks
from app.audio import files
from app.worker import task_names as names
from app.worker.policy import DB_RETRY


@shared_task(name=names.CLEANUP_OLD_AUDIO, **DB_RETRY)
def cleanup_old_audio(days: int = 30) -> dict[str, Any]:
    """Audio of uploaded sessions that ended `days` ago (the retention of raw samples)."""
    return files.delete_old_recordings(days)


@shared_task(name=names.CLEANUP_ORPHAN_AUDIO_FILES, **DB_RETRY)
def cleanup_orphan_audio_files(min_age_seconds: int = 3600) -> dict[str, Any]:
    """Audio files no recording refers to (a crash between a delete and its file removal)."""
    return files.delete_orphan_files(min_age_seconds)


@shared_task(name=names.EXPIRE_CHUNKED_UPLOADS, **DB_RETRY)
def expire_chunked_uploads() -> dict[str, Any]:
    """Resumable uploads past their expiry, with their parts on disk."""
    return chunks.delete_expired()
