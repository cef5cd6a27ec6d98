"""Per-user upload quotas: imports waiting or running, and bytes of upload files kept on disk.

A file stays on disk while its import is pending or running, and after a failed import (for
diagnosis) until `cleanup_uploaded_files` removes it; a successful import deletes it at once.
Checked twice: before the body is read (cheap refusal of a user already at the limit) and,
exactly, after the file is stored, under a lock on the user's row so that uploads sent
together cannot all pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from app.errors import PayloadTooLarge, TooManyRequests
from app.extensions import db
from app.models import Upload, User
from app.models.upload import OPEN_STATES


@dataclass(frozen=True)
class UploadQuota:
    max_pending: int
    max_bytes: int

    @classmethod
    def from_config(cls, config: Any) -> UploadQuota:
        return cls(max_pending=config["UPLOAD_MAX_PENDING"], max_bytes=config["UPLOAD_QUOTA_BYTES"])


@dataclass(frozen=True)
class UploadUsage:
    pending: int  # imports queued or running
    stored_bytes: int  # upload files still on disk


def usage(user_id: int) -> UploadUsage:
    pending, stored = db.session.execute(
        select(
            func.count().filter(Upload.state.in_(OPEN_STATES)),
            func.coalesce(func.sum(Upload.size_bytes).filter(Upload.file_deleted_at.is_(None)), 0),
        ).where(Upload.user_id == user_id)
    ).one()
    return UploadUsage(pending, int(stored))


def lock_user(user_id: int) -> None:
    """Serialise the user's upload acceptances until commit (PostgreSQL; on SQLite the write
    transaction already does). NO KEY UPDATE lets rows that reference the user be written."""
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))


def check(user_id: int, quota: UploadQuota, adding_bytes: int = 0) -> None:
    """429 when the user has `max_pending` imports open; 413 when their stored files plus
    `adding_bytes` would exceed `max_bytes`."""
    used = usage(user_id)
    if used.pending >= quota.max_pending:
        raise TooManyRequests(
            f"You have {used.pending} uploads waiting to be imported (at most "
            f"{quota.max_pending}); send more once they have finished",
            {"pending_uploads": used.pending, "max_pending_uploads": quota.max_pending},
        )
    if used.stored_bytes + adding_bytes > quota.max_bytes:
        raise PayloadTooLarge(
            f"Your stored upload files would exceed your quota of {quota.max_bytes} bytes "
            f"({used.stored_bytes} bytes are waiting for import or kept after a failed import)",
            {
                "stored_bytes": used.stored_bytes,
                "file_bytes": adding_bytes,
                "quota_bytes": quota.max_bytes,
            },
        )
