"""Every row of `sensor_data` carries its session's owner in its key, whichever writer stored
it: the upsert, COPY (PostgreSQL, large batches that are not appended) and the rows a late write
restores from a chunk."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import RecordingSession, SensorData
from tests.payloads import BASE_TS, push_body, samples
from tests.recordings.store_readers import compact
from tests.sync.helpers import push


def _owners(app) -> set[tuple[int, int]]:
    """(row's user_id, its session's user_id) over all rows."""
    with app.app_context():
        pairs = db.session.execute(
            select(SensorData.user_id, RecordingSession.user_id).join(
                RecordingSession, RecordingSession.id == SensorData.recording_session_id
            )
        ).all()
        db.session.remove()
    return {tuple(pair) for pair in pairs}


def _all_rows_are_their_owners(app) -> None:
    owners = _owners(app)
    assert len(owners) == 2 and all(row == session for row, session in owners), owners


def test_rows_carry_their_sessions_owner_whichever_writer_stored_them(app, client, register):
    register("nobody")  # user ids now differ from session ids
    sessions = {"a": register("owner-a").headers, "b": register("owner-b").headers}
    late = samples(1500, start=BASE_TS)  # pushed after later samples: not appended
    for session_id, headers in sessions.items():
        push(client, headers, push_body(session_id, samples(1500, start=BASE_TS + 100_000)))
        push(client, headers, push_body(session_id, late))  # COPY on PostgreSQL, else upsert
        push(client, headers, push_body(session_id, samples(3, "gps", step=1000)))  # upsert
    _all_rows_are_their_owners(app)

    for session_id, headers in sessions.items():
        compact(app, session_id)
        # Changes inside a chunk: its samples go back to rows, then the upsert runs.
        changed = [dict(s, data={"x": 9.5}) for s in late[:10]]
        assert push(client, headers, push_body(session_id, changed))["updated"] == 10
    _all_rows_are_their_owners(app)
