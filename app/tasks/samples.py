"""The sample store's background work: compacting sessions (app/housekeeping/compaction.py)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from app.housekeeping import compaction
from app.worker import task_names as names
from app.worker.policy import DB_RETRY


@shared_task(name=names.COMPACT_SESSION, **DB_RETRY)
def compact_session(session_pk: int) -> dict[str, Any]:
    """Move a session's rows into chunks, one committed step at a time (a retry or a crash
    midway leaves every sample readable; the next run carries on)."""
    return compaction.compact(session_pk)


@shared_task(name=names.SWEEP_COMPACTION, **DB_RETRY)
def sweep_compaction() -> dict[str, Any]:
    """Publish the compaction of closed and idle sessions that still hold rows."""
    return compaction.sweep()
