"""The app's sync calls (`src/api/sync.ts`): a push of SyncItems, a delta pull, stats.

- Push applies item by item, each through the same services as the dedicated calls (session
  → the session rules, metadata → an update of an existing session, sensor_data → the push
  batch path), so one bad item fails with its reason and the others still land; replaying a
  batch changes nothing (sessions are keyed by their sessionId, samples are de-duplicated).
- Pull is /api's pull (same watermark, sync log and tombstones) in the app's shape. While
  more pages remain, `nextTimestamp` is the change stamp of the page's last session (rounded
  down to the millisecond), or the watermark when that is earlier (a write in flight may be
  stamped between the two), so the next pull re-reads from there rather than skipping what
  follows; once everything is delivered it is the watermark. Either way a change committed
  after a pull started appears in the next pull (docs/sync.md). Items may come twice; the
  app upserts them.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select

from app.app_protocol import samples, sessions
from app.app_protocol.schemas import PullIn, PushIn, SessionPatchIn, SessionWriteIn, SyncItemIn
from app.app_protocol.times import to_ms
from app.errors import ApiError, ValidationFailed
from app.extensions import db
from app.models import RecordingSession, SyncLog, Upload
from app.models.upload import OPEN_STATES
from app.observability.metrics import record_push
from app.sync.pull import plan_pull
from app.sync.schemas import PullRequest
from app.validation import describe_errors, parse_model

COMPLETED, FAILED = "completed", "failed"


def push_items(user_id: int, request: PushIn, *, check_numbers: bool) -> dict[str, Any]:
    results = [_apply(user_id, raw, check_numbers) for raw in request.items]
    synced = sum(result["status"] == COMPLETED for result in results)
    return {
        "batchId": request.batchId or str(uuid.uuid4()),
        "synced": synced,
        "failed": len(results) - synced,
        "results": results,
    }


def _apply(user_id: int, raw: Any, check_numbers: bool) -> dict[str, Any]:
    local_id = raw.get("localId") if isinstance(raw, dict) else None
    result = {"localId": local_id if isinstance(local_id, str) else None, "serverId": None}
    try:
        item = SyncItemIn.model_validate(raw)
        result["serverId"] = _apply_item(user_id, item, check_numbers)
    except ValidationError as error:
        problems = "; ".join(f"{p['field']}: {p['message']}" for p in describe_errors(error)[:5])
        return result | {"status": FAILED, "error": f"Invalid item: {problems}"}
    except ApiError as error:
        db.session.rollback()
        return result | {"status": FAILED, "error": error.message}
    return result | {"status": COMPLETED, "error": None}


def _apply_item(user_id: int, item: SyncItemIn, check_numbers: bool) -> str:
    data = item.data or {}
    session_id = data.get("sessionId") or item.localId
    if not isinstance(session_id, str):
        raise ValidationFailed("data.sessionId must be a string")
    if item.type == "session":
        incoming = parse_model(SessionWriteIn, data | {"sessionId": session_id})
        sessions.write_session(user_id, session_id, incoming, must_exist=False)
    elif item.type == "metadata":
        incoming = parse_model(
            SessionPatchIn, {k: v for k, v in data.items() if k in ("notes", "metadata")}
        )
        sessions.write_session(user_id, session_id, incoming, must_exist=True)
    elif item.type == "sensor_data":
        session_id = data.get("sessionId")  # the item's localId names the records, not a session
        if not isinstance(session_id, str):
            raise ValidationFailed("A sensor_data item needs data.sessionId (a string)")
        records = data.get("records")
        if not isinstance(records, list):
            raise ValidationFailed(
                "A sensor_data item needs data.records (a list); upload files with POST /upload"
            )
        stored = samples.store_records(
            user_id, session_id, records, check_numbers=check_numbers, body_bytes=0
        )
        record_push(stored)
        if stored["errors"]:
            first = stored["errorDetails"][0]
            raise _PartlyStored(
                f"{stored['errors']} records were invalid, e.g. #{first['index']}: {first['error']}"
            )
    else:
        raise ValidationFailed(
            f"Items of type {item.type!r} are not taken by /sync/push: upload audio with "
            "POST /sessions/{sessionId}/audio or POST /upload"
        )
    return session_id


class _PartlyStored(ApiError):
    """The valid records of the item are stored; the item is reported failed for the rest."""


def pull(user_id: int, request: PullIn) -> dict[str, Any]:
    page = plan_pull(
        user_id,
        PullRequest(last_sync_time=request.since, page_size=request.limit, include_data=False),
    )
    rows = _app_rows(user_id, [pk for pk, _ in page.sessions])
    kind = "session" if "session" in request.types else "metadata"
    items = [_item(kind, rows[pk]) for pk, _ in page.sessions if pk in rows]
    watermark = to_ms(page.watermark)
    items += [
        {"id": sid, "type": "session", "data": {"id": sid, "deleted": True}, "updatedAt": watermark}
        for sid in page.deleted_session_ids
    ]
    next_timestamp = watermark
    if page.has_more:  # an in-flight change may be stamped above the watermark, not below
        next_timestamp = min(watermark, to_ms(page.sessions[-1][1]["updated_at"]))
    return {
        "items": items,
        "hasMore": page.has_more,
        "nextTimestamp": next_timestamp,
        "fullResyncRequired": page.full_resync_required,
    }


def _app_rows(user_id: int, pks: list[int]) -> dict[int, RecordingSession]:
    if not pks:
        return {}
    found = db.session.scalars(
        select(RecordingSession).where(
            RecordingSession.user_id == user_id, RecordingSession.id.in_(pks)
        )
    )
    rows = {session.id: session for session in found}
    db.session.rollback()
    return rows


def _item(kind: str, session: RecordingSession) -> dict[str, Any]:
    data = sessions.session_json(session)
    if kind == "metadata":
        data = {"id": data["id"], "notes": data["notes"], "metadata": data["metadata"]}
    return {
        "id": session.session_id,
        "type": kind,
        "data": data,
        "updatedAt": to_ms(session.updated_at),
    }


def stats(user_id: int) -> dict[str, Any]:
    """From the sync log: items pushed (sessions and samples), sessions pulled, items that
    failed; pending items are the caller's file imports still waiting or running."""
    by_type = dict(
        db.session.execute(
            select(SyncLog.sync_type, func.coalesce(func.sum(SyncLog.records_count), 0))
            .where(SyncLog.user_id == user_id)
            .group_by(SyncLog.sync_type)
        ).all()
    )
    last, failed = db.session.execute(
        select(
            func.max(SyncLog.completed_at), func.coalesce(func.sum(SyncLog.errors_count), 0)
        ).where(SyncLog.user_id == user_id)
    ).one()
    pending = db.session.scalar(
        select(func.count()).where(Upload.user_id == user_id, Upload.state.in_(OPEN_STATES))
    )
    return {
        "lastSyncTimestamp": to_ms(last) or 0,
        "totalPushed": int(by_type.get("push", 0)),
        "totalPulled": int(by_type.get("pull", 0)),
        "pendingItems": pending,
        "failedItems": int(failed),
    }
