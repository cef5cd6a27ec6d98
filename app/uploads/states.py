"""An upload's JSON shape (its life cycle is in app/models/upload.py)."""

from __future__ import annotations

from typing import Any

from app.models import Upload


def upload_json(upload: Upload) -> dict[str, Any]:
    """An upload as GET /api/uploads/<id> shows it."""
    return {
        "id": upload.id,
        "task_id": upload.task_id,
        "state": upload.state,
        "session_id": upload.session_id,
        "filename": upload.filename,
        "format": upload.file_format,
        "compressed": upload.compressed,
        "size_bytes": upload.size_bytes,
        "lines_total": upload.lines_total,
        "lines_processed": upload.lines_processed,
        "total_records": upload.total_records,
        "inserted": upload.inserted,
        "updated": upload.updated,
        "duplicates": upload.duplicates,
        "errors": upload.errors,
        "error_details": upload.error_details,
        "error_message": upload.error_message,
        "attempts": upload.attempts,
        "created_at": upload.created_at,
        "started_at": upload.started_at,
        "completed_at": upload.completed_at,
    }
