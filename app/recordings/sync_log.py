"""The `sync_logs` row of a push, written alike by a push and by a file import.

Its fields follow the push response (docs/sync.md#counts): `status` is `partial` when samples
were skipped, and `error_message` says how many.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.models import SyncLog


def push_log(
    user_id: int,
    session_pk: int | None,
    *,
    records: int,
    duplicates: int,
    errors: int,
    details: dict[str, Any],
    started_at: datetime,
    completed_at: datetime,
) -> SyncLog:
    """A push's log row (not yet added to the session)."""
    return SyncLog(
        user_id=user_id,
        recording_session_id=session_pk,
        sync_type="push",
        status="partial" if errors else "success",
        records_count=records,
        duplicates_count=duplicates,
        errors_count=errors,
        error_message=f"{errors} invalid samples skipped" if errors else None,
        details=details,
        started_at=started_at,
        completed_at=completed_at,
    )
