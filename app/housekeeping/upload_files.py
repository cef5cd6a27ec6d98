"""Deleting uploaded files once their import is long over."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from app.clock import utcnow
from app.extensions import db
from app.models import Upload
from app.models.upload import OPEN_STATES

DAY_SECONDS = 86_400
_MARK_BATCH = 500


def _in_progress() -> set[str]:
    """Files an import still needs (pending or running uploads)."""
    paths = db.session.scalars(select(Upload.stored_path).where(Upload.state.in_(OPEN_STATES)))
    return set(paths)


def _mark_deleted(paths: list[str]) -> int:
    marked, now = 0, utcnow()
    for start in range(0, len(paths), _MARK_BATCH):
        marked += db.session.execute(
            update(Upload)
            .where(Upload.stored_path.in_(paths[start : start + _MARK_BATCH]))
            .values(file_deleted_at=now)
        ).rowcount
        db.session.commit()
    return marked


def delete_old_upload_files(folder: str | Path, days: int) -> dict[str, Any]:
    """Files under `folder` not modified for `days`, except those of unfinished imports."""
    root = Path(folder)
    cutoff = time.time() - days * DAY_SECONDS
    keep = _in_progress()
    db.session.rollback()
    deleted: list[str] = []
    freed = kept = 0
    for path in sorted(root.rglob("*")) if root.is_dir() else []:
        if not path.is_file() or path.stat().st_mtime >= cutoff:
            continue
        if str(path) in keep:
            kept += 1
            continue
        size = path.stat().st_size
        path.unlink(missing_ok=True)
        deleted.append(str(path))
        freed += size
    return {
        "folder": str(root),
        "files_deleted": len(deleted),
        "bytes_freed": freed,
        "kept_in_progress": kept,
        "uploads_marked": _mark_deleted(deleted),
    }
