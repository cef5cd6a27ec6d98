"""Session flags and stamps of a push, called directly (no HTTP): `is_uploaded`,
`last_synced_at`, the change stamp `updated_at`, and the session lock. Written down in
docs/sync.md#session-rules and #concurrency.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

# App modules (they move in the restructure; only this block names them).
from app.extensions import db
from app.recordings.batches import store_batch
from app.recordings.schemas import SessionIn
from app.recordings.watermark import begin_stamped_write
from tests.payloads import BASE_TS, samples
from tests.unit.sync_support import KEY_CAP, push_session, session_row, store_session

START = datetime(2025, 11, 13, tzinfo=UTC)
END = datetime(2025, 11, 13, 1, tzinfo=UTC)


# --- is_uploaded ------------------------------------------------------------------------------


def test_is_uploaded_sent_as_null_keeps_the_stored_value_and_skips_the_automatic_rule(user_id):
    """A null is_uploaded changes nothing, but it counts as sent: the session is closed, yet
    it is not marked uploaded (pinned: docs/sync.md#session-rules)."""
    store_session(user_id, start_time=START, end_time=END, is_uploaded=False)

    store_session(user_id, is_uploaded=None)

    assert session_row(user_id, "s1").is_uploaded is False


def test_active_session_is_not_marked_uploaded(user_id):
    push_session(user_id, data=samples(3), start_time="2025-11-13T00:00:00Z")

    assert session_row(user_id, "s1").is_uploaded is False


def test_first_push_that_finds_the_session_closed_marks_it_uploaded(user_id):
    store_session(user_id, start_time=START)
    first_stamp = session_row(user_id, "s1").updated_at

    store_session(user_id, is_active=False)

    session = session_row(user_id, "s1")
    assert session.is_uploaded is True and session.updated_at > first_stamp


def test_a_later_push_without_the_flag_marks_a_closed_session_uploaded_and_stamps_it(user_id):
    """A session closed while the client kept is_uploaded false, then pushed again without
    the flag: the automatic rule applies and stamps the session."""
    store_session(user_id, start_time=START, end_time=END, is_uploaded=False)
    assert session_row(user_id, "s1").is_uploaded is False

    stored, stamp = store_session(user_id)

    session = session_row(user_id, "s1")
    assert session.is_uploaded is True and stored.changed and session.updated_at == stamp


def test_is_uploaded_sent_by_the_client_is_kept_even_when_closed(user_id):
    store_session(user_id, start_time=START, end_time=END, is_uploaded=False)

    assert session_row(user_id, "s1").is_uploaded is False


def test_is_uploaded_stays_true_when_the_session_is_reopened(user_id):
    store_session(user_id, start_time=START, end_time=END)

    store_session(user_id, end_time=None)

    session = session_row(user_id, "s1")
    assert session.is_active is True and session.is_uploaded is True


# --- last_synced_at and the change stamp ------------------------------------------------------


def test_last_synced_at_moves_on_every_push_but_updated_at_only_on_a_change(user_id):
    push_session(user_id, data=samples(5), start_time="2025-11-13T00:00:00Z")
    first = session_row(user_id, "s1")
    synced, changed = first.last_synced_at, first.updated_at

    push_session(user_id, data=samples(5))  # a replay

    again = session_row(user_id, "s1")
    assert again.last_synced_at > synced
    assert again.updated_at == changed


@pytest.mark.parametrize(
    ("data", "session"),
    [
        pytest.param(samples(1, start=BASE_TS + 10_000), {}, id="new-sample"),
        pytest.param([{**samples(1)[0], "data": {"x": 42.0}}], {}, id="changed-sample"),
        pytest.param([], {"notes": "edited"}, id="edited-field"),
    ],
)
def test_any_stored_change_stamps_the_session_with_the_pushs_stamp(user_id, data, session):
    store_session(user_id, samples(3), start_time=START)

    stored, stamp = store_session(user_id, data, **session)

    assert stored.changed is True
    assert session_row(user_id, "s1").updated_at == stamp


@pytest.mark.postgres
def test_a_push_holds_the_session_row_lock_until_it_commits(user_id, app):
    """Every writer of a session's samples locks its row first (docs/sync.md#concurrency), so
    a second writer waits instead of racing. (SQLite's database write lock does the same.)"""
    store_session(user_id, start_time=START)
    store_batch(user_id, SessionIn(session_id="s1"), samples(2), begin_stamped_write(), KEY_CAP)
    try:
        with app.app_context():  # another session: its own connection and transaction
            db.session.execute(text("SET LOCAL lock_timeout = '200ms'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                db.session.execute(
                    text("SELECT id FROM recording_sessions WHERE session_id = 's1' FOR UPDATE")
                )
            db.session.rollback()
    finally:
        db.session.rollback()
