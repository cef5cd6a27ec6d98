"""A pull: the caller's sessions changed since a watermark, streamed as one JSON document.

Sessions are paged in a stable (updated_at, id) order, by page number or — robust against
sessions changing during the walk — by keyset cursor (`next_cursor`). A cursor carries the
watermark of the walk's first page, and every page of the walk answers with it, so a client
that stores the last `server_timestamp` it saw cannot skip a change made during the walk.

With `include_data`, each session's samples (only those changed since `last_sync_time`, when
given) follow it, read through a server-side cursor and written out in chunks, so a page
holding millions of samples never sits in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import Select, and_, or_, select

from app.clock import iso_utc, utcnow
from app.database import begin_write_transaction, count_rows
from app.extensions import db
from app.models import RecordingSession, SyncLog
from app.recordings import tombstones
from app.recordings.cursors import PullCursor
from app.recordings.samples.reading import changed_sample_json
from app.recordings.schemas import session_json
from app.recordings.watermark import pull_watermark
from app.sync.schemas import PullRequest
from app.web.json_codec import dumps_bytes

SAMPLE_CHUNK = 5000


@dataclass
class PullPage:
    sessions: list[tuple[int, dict]]  # (primary key, response fields)
    total: int
    has_more: bool
    watermark: datetime
    next_cursor: str | None
    sync_log_id: int
    # Deletions since last_sync_time, on every page (docs/sync.md#tombstones).
    deleted_session_ids: list[str]
    full_resync_required: bool


def _changed_sessions(user_id: int, request: PullRequest) -> Select:
    query = select(RecordingSession).where(RecordingSession.user_id == user_id)
    if request.last_sync_time is not None:
        query = query.where(RecordingSession.updated_at >= request.last_sync_time)
    if request.session_ids is not None:
        query = query.where(RecordingSession.session_id.in_(request.session_ids))
    return query


def _page(query: Select, request: PullRequest) -> Select:
    """Sessions in (updated_at, id) order from the cursor's position, else from the page."""
    ordered = query.order_by(RecordingSession.updated_at, RecordingSession.id)
    position = request.position
    if position is None:
        return ordered.offset((request.page - 1) * request.page_size)
    return ordered.where(
        or_(
            RecordingSession.updated_at > position.updated_at,
            and_(
                RecordingSession.updated_at == position.updated_at,
                RecordingSession.id > position.id,
            ),
        )
    )


def plan_pull(user_id: int, request: PullRequest) -> PullPage:
    """Take the watermark, read one page of sessions and log the pull (committed)."""
    started_at = utcnow()
    position = request.position
    watermark = position.watermark if position else pull_watermark()
    begin_write_transaction()  # this transaction also writes the sync log
    query = _changed_sessions(user_id, request)
    total = count_rows(query)
    sessions = list(db.session.scalars(_page(query, request).limit(request.page_size + 1)))
    has_more = len(sessions) > request.page_size
    sessions = sessions[: request.page_size]
    next_cursor = (
        PullCursor(sessions[-1].updated_at, sessions[-1].id, watermark).encode()
        if has_more
        else None
    )
    log = SyncLog(
        user_id=user_id,
        sync_type="pull",
        status="success",
        records_count=len(sessions),
        details={
            "sessions": len(sessions),
            "total": total,
            "page": request.page,
            "page_size": request.page_size,
            "include_data": request.include_data,
            "cursor": request.cursor is not None,
            "last_sync_time": iso_utc(request.last_sync_time),
            "watermark": iso_utc(watermark),
        },
        started_at=started_at,
        completed_at=utcnow(),
    )
    deleted = tombstones.deleted_session_ids(user_id, request.last_sync_time, request.session_ids)
    resync = tombstones.full_resync_required(
        request.last_sync_time, current_app.config["TOMBSTONE_RETENTION_DAYS"]
    )
    db.session.add(log)
    db.session.flush()
    page = [(session.id, session_json(session)) for session in sessions]
    db.session.commit()
    return PullPage(page, total, has_more, watermark, next_cursor, log.id, deleted, resync)


def stream_pull(page: PullPage, request: PullRequest) -> Iterator[bytes]:
    """The response body in pieces; sample data is copied as stored JSON text, not re-parsed."""
    yield b'{"sessions":['
    for position, (session_pk, fields) in enumerate(page.sessions):
        head = dumps_bytes(fields)
        if position:
            yield b","
        if not request.include_data:
            yield head
            continue
        yield head[:-1] + b',"sensor_data":['
        yield from changed_sample_json(session_pk, request.last_sync_time, SAMPLE_CHUNK)
        yield b"]}"
    db.session.rollback()
    tail = {
        "server_timestamp": iso_utc(page.watermark),
        "page": request.page,
        "page_size": request.page_size,
        "total": page.total,
        "has_more": page.has_more,
        "next_cursor": page.next_cursor,
        "sync_log_id": page.sync_log_id,
        "deleted_session_ids": page.deleted_session_ids,
        "full_resync_required": page.full_resync_required,
    }
    yield b"]," + dumps_bytes(tail)[1:]
