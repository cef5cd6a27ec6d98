"""Tombstones of deleted sessions: what a pull reports as `deleted_session_ids`.

A delete stamps its tombstone with `begin_stamped_write()`'s change stamp, so the pull
watermark rules (app/recordings/watermark.py) hold for deletions exactly as for edits: a pull asking
for changes `>= last_sync_time` cannot miss a delete that was in flight during the previous
pull. A pull without `last_sync_time` (a full sync) gets every retained tombstone.

A session pushed again after its deletion is simply a new session; its tombstone is then no
longer reported, because the live session supersedes it (the client upserts it).

Tombstones live `TOMBSTONE_RETENTION_DAYS`; `purge_tombstones(days)` removes older ones, and a
pull whose `last_sync_time` lies before that horizon is told `full_resync_required`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from app.clock import utcnow
from app.extensions import db
from app.models import RecordingSession, SessionTombstone


def add_tombstone(user_id: int, session_id: str, stamp: datetime) -> None:
    """Record a deletion in the caller's (stamped) write transaction."""
    db.session.add(SessionTombstone(user_id=user_id, session_id=session_id, deleted_at=stamp))


def deleted_session_ids(
    user_id: int, since: datetime | None, session_ids: list[str] | None = None
) -> list[str]:
    """Ids of the user's sessions deleted at or after `since` and not pushed again since."""
    live = select(RecordingSession.session_id).where(
        RecordingSession.user_id == user_id,
        RecordingSession.session_id == SessionTombstone.session_id,
    )
    query = (
        select(SessionTombstone.session_id)
        .where(SessionTombstone.user_id == user_id, ~live.exists())
        .group_by(SessionTombstone.session_id)
        .order_by(SessionTombstone.session_id)
    )
    if since is not None:
        query = query.where(SessionTombstone.deleted_at >= since)
    if session_ids is not None:
        query = query.where(SessionTombstone.session_id.in_(session_ids))
    return list(db.session.scalars(query))


def retention_horizon(days: int, now: datetime | None = None) -> datetime:
    """The oldest deletion still remembered."""
    return (now or utcnow()) - timedelta(days=days)


def full_resync_required(last_sync_time: datetime | None, days: int) -> bool:
    """Whether deletions since `last_sync_time` may already have been purged."""
    return last_sync_time is not None and last_sync_time < retention_horizon(days)


def purge_tombstones(days: int) -> int:
    """Delete tombstones older than `days` and commit; returns how many went (for Celery)."""
    result = db.session.execute(
        delete(SessionTombstone).where(SessionTombstone.deleted_at < retention_horizon(days))
    )
    db.session.commit()
    return result.rowcount
