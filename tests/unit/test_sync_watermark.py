"""Delta pulls miss no change: change stamps, the pull watermark and what a pull selects,
called directly (no HTTP). Written down in docs/sync.md#watermark and #pull.

The end-to-end case of a push still in flight during a pull is
tests/sync/test_concurrency.py::test_in_flight_push_is_not_missed_by_delta_pull; here the
mechanism underneath it is pinned on each backend.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import orjson
import pytest
from sqlalchemy import text, update

# App modules (they move in the restructure; only this block names them).
from app.extensions import db
from app.models import RecordingSession
from app.recordings.watermark import begin_stamped_write, pull_watermark
from app.sync.pull import plan_pull, stream_pull
from app.sync.schemas import PullRequest
from tests.payloads import BASE_TS, push_body, samples
from tests.unit.sync_support import push_direct, session_row


def _pull(user_id: int, **fields) -> tuple[object, dict]:
    """`plan_pull` then the streamed body, parsed: (page, response)."""
    request = PullRequest.model_validate(fields)
    page = plan_pull(user_id, request)
    return page, orjson.loads(b"".join(stream_pull(page, request)))


def _ids(response: dict) -> list[str]:
    return [session["session_id"] for session in response["sessions"]]


def test_a_write_stamped_after_a_pulls_watermark_is_in_the_next_delta_pull(user_id):
    push_direct(user_id, push_body("old", data=samples(2)))
    first, _ = _pull(user_id, include_data=False)

    push_direct(user_id, push_body("new", data=samples(2)))

    assert session_row(user_id, "new").updated_at >= first.watermark
    _, delta = _pull(user_id, last_sync_time=first.watermark.isoformat())
    assert _ids(delta) == ["new"]
    assert delta["server_timestamp"].endswith("Z")


def test_a_session_stamped_exactly_at_last_sync_time_is_delivered(user_id):
    """The delta filter is `updated_at >= last_sync_time`: a change stamped at the watermark
    itself comes again rather than never."""
    push_direct(user_id, push_body("edge", data=samples(1)))
    session = session_row(user_id, "edge")
    moment = session.updated_at

    _, delta = _pull(user_id, last_sync_time=moment.isoformat())
    _, later = _pull(user_id, last_sync_time=(moment + timedelta(microseconds=1)).isoformat())

    assert _ids(delta) == ["edge"] and _ids(later) == []


def test_delta_pull_sends_only_the_samples_changed_since_last_sync_time(user_id):
    push_direct(user_id, push_body(data=samples(3)))
    first, _ = _pull(user_id, include_data=False)
    changed = {**samples(1)[0], "data": {"x": 99.0}}
    added = samples(1, start=BASE_TS + 1000)[0]

    push_direct(user_id, push_body(data=[changed, added]))

    _, delta = _pull(user_id, last_sync_time=first.watermark.isoformat())
    (session,) = delta["sessions"]
    assert [(s["timestamp"], s["data"]) for s in session["sensor_data"]] == [
        (BASE_TS, {"x": 99.0}),
        (BASE_TS + 1000, added["data"]),
    ]
    assert session["data_count"] == 4


def test_an_edit_without_samples_is_pulled_with_no_samples(user_id):
    push_direct(user_id, push_body(data=samples(3)))
    first, _ = _pull(user_id, include_data=False)

    push_direct(user_id, {"session": {"session_id": "session-1", "notes": "renamed"}})

    _, delta = _pull(user_id, last_sync_time=first.watermark.isoformat())
    (session,) = delta["sessions"]
    assert session["notes"] == "renamed" and session["sensor_data"] == []


def test_every_page_of_a_cursor_walk_answers_with_the_first_pages_watermark(user_id):
    for name in ("a", "b", "c"):
        push_direct(user_id, push_body(name, data=samples(1)))
    first, body = _pull(user_id, page_size=1, include_data=False)
    assert _ids(body) == ["a"] and body["next_cursor"]

    push_direct(user_id, push_body("a", notes="edited during the walk"))

    walked, cursor, stamps = _ids(body), body["next_cursor"], {body["server_timestamp"]}
    while cursor:
        _, body = _pull(user_id, page_size=1, include_data=False, cursor=cursor)
        walked += _ids(body)
        stamps.add(body["server_timestamp"])
        cursor = body["next_cursor"]
    assert walked == ["a", "b", "c", "a"]  # the edited session moved behind the cursor
    assert len(stamps) == 1  # no change of the walk is stamped below what the client stores


def test_pages_are_ordered_by_updated_at_then_id(user_id):
    for name in ("x", "y", "z"):
        push_direct(user_id, push_body(name))
    same = datetime.fromisoformat("2025-11-13T00:00:00+00:00")
    db.session.execute(
        update(RecordingSession)
        .where(RecordingSession.session_id.in_(["x", "z"]))
        .values(updated_at=same)
    )
    db.session.commit()

    _, body = _pull(user_id, include_data=False)

    assert _ids(body) == ["x", "z", "y"]


def test_a_pull_sees_only_the_callers_sessions(make_user):
    alice, bob = make_user(), make_user()
    push_direct(alice, push_body("shared", data=samples(2)))
    push_direct(bob, push_body("shared", data=samples(5)))

    _, body = _pull(alice)

    (session,) = body["sessions"]
    assert session["data_count"] == 2 and len(session["sensor_data"]) == 2


# --- the watermark on PostgreSQL: held back by transactions that hold a transaction id ------


@pytest.mark.postgres
def test_an_open_write_transaction_holds_the_watermark_at_or_below_its_stamp(app, ctx):
    stamp = begin_stamped_write()  # an xid first, then the stamp; not committed yet
    try:
        with app.app_context():  # a pull on its own connection
            held = pull_watermark()
    finally:
        db.session.rollback()

    assert held <= stamp  # everything this writer stamps stays at or after the watermark
    assert pull_watermark() > stamp  # once it is gone, the watermark is the clock again


@pytest.mark.postgres
def test_a_transaction_that_has_not_written_does_not_hold_the_watermark_back(app, ctx):
    reader_started = db.session.execute(text("SELECT now()")).scalar_one()  # no xid
    time.sleep(0.05)
    try:
        with app.app_context():
            watermark = pull_watermark()
    finally:
        db.session.rollback()

    assert watermark > reader_started


# --- the watermark on SQLite: taken under the write lock, so no write is in flight ----------


def test_on_sqlite_the_watermark_waits_for_an_open_write_transaction(app, ctx):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL uses the oldest writer's start instead (tests above)")
    stamp = begin_stamped_write()  # holds SQLite's write lock until commit
    taken: list[datetime] = []

    def pull_in_another_connection() -> None:
        with app.app_context():
            taken.append(pull_watermark())

    puller = threading.Thread(target=pull_in_another_connection)
    puller.start()
    try:
        puller.join(timeout=0.5)
        assert puller.is_alive(), "the watermark was taken while a write was in flight"
    finally:
        db.session.commit()
        puller.join(timeout=30)
    assert taken and taken[0] > stamp  # taken after the write committed
