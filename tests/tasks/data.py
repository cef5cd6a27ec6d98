"""Pushing recordings through the API and finding their rows, for the background-work tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from app.extensions import db
from app.models import RecordingSession
from tests.payloads import START, push_body


def push(client, headers, session_id: str, data: list[dict], **session: Any) -> dict:
    fields = {"start_time": START} | session
    response = client.post(
        "/api/sync/push", json=push_body(session_id, data, **fields), headers=headers
    )
    assert response.status_code == 200, response.json
    return response.json


def push_in_batches(client, headers, session_id, data, batch: int = 5000, **session) -> dict:
    """Push like a phone does (batches of `batch`); returns the summed counts."""
    totals = dict.fromkeys(("total_records", "inserted", "updated", "duplicates", "errors"), 0)
    for start in range(0, max(len(data), 1), batch):
        body = push(client, headers, session_id, data[start : start + batch], **session)
        for key in totals:
            totals[key] += body[key]
    return totals


def session_pk(app, user_id: int, session_id: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(RecordingSession.id).where(
                RecordingSession.user_id == user_id, RecordingSession.session_id == session_id
            )
        )


def age_session(app, pk: int, **ago: float) -> None:
    """Move a session's activity stamps into the past (as if nothing happened since)."""
    stamp = datetime.now(UTC) - timedelta(**ago)
    with app.app_context():
        db.session.execute(
            update(RecordingSession)
            .where(RecordingSession.id == pk)
            .values(updated_at=stamp, last_synced_at=stamp)
        )
        db.session.commit()
