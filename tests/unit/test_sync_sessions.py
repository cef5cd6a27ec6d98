"""Session rules of a push, called directly (no HTTP): creation, last write wins on fields,
`is_active`, `is_uploaded`, `last_synced_at` and the change stamp `updated_at`.

Written down in docs/sync.md#session-rules.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

# App modules (they move in the restructure; only this block names them).
from app.errors import ValidationFailed
from app.extensions import db
from app.sync.push import store_batch
from app.sync.schemas import SessionIn
from app.sync.watermark import begin_stamped_write
from tests.factories import BASE_TS, samples
from tests.unit.sync_support import push_direct, session_row

START = datetime(2025, 11, 13, tzinfo=UTC)
END = datetime(2025, 11, 13, 1, tzinfo=UTC)


def _push(user_id: int, data: list | None = None, **session: object) -> dict:
    body = {"session": {"session_id": "s1", **session}, "sensor_data": data or []}
    return push_direct(user_id, body)


def _store(user_id: int, data: list | None = None, **session: object):
    """`store_batch` in its own committed transaction, as push and import run it."""
    stamp = begin_stamped_write()
    stored = store_batch(user_id, SessionIn(session_id="s1", **session), data or [], stamp)
    db.session.commit()
    return stored, stamp


# --- creation ---------------------------------------------------------------------------------


def test_first_push_creates_the_session_with_defaults_for_what_was_not_sent(user_id):
    stored, stamp = _store(user_id, start_time=START)

    session = session_row(user_id, "s1")
    assert stored.created and stored.changed
    assert session.start_time == START and session.end_time is None
    assert session.is_active is True  # no end_time
    assert session.is_uploaded is False
    assert session.enabled_sensors == [] and session.sample_rate is None and session.notes is None
    assert session.data_count == 0
    assert session.created_at == session.updated_at == session.last_synced_at == stamp


def test_first_push_of_a_closed_session_creates_it_inactive_and_uploaded(user_id):
    _push(user_id, start_time="2025-11-13T00:00:00Z", end_time="2025-11-13T01:00:00Z")

    session = session_row(user_id, "s1")
    assert session.is_active is False and session.is_uploaded is True


def test_first_push_without_start_time_is_rejected_and_creates_nothing(user_id):
    with pytest.raises(ValidationFailed, match="start_time is required"):
        _push(user_id, data=samples(3), notes="no start")
    db.session.rollback()

    assert session_row(user_id, "s1") is None


def test_later_push_without_start_time_updates_the_session(user_id):
    _push(user_id, start_time="2025-11-13T00:00:00Z")

    response = _push(user_id, data=samples(2), notes="second batch")

    assert response["inserted"] == 2
    assert session_row(user_id, "s1").notes == "second batch"


def test_start_time_null_is_rejected_by_the_request_model():
    with pytest.raises(ValidationError, match="start_time cannot be null"):
        SessionIn(session_id="s1", start_time=None)


def test_end_time_before_start_time_is_rejected_by_the_request_model():
    with pytest.raises(ValidationError, match="end_time must not be before start_time"):
        SessionIn(session_id="s1", start_time=END, end_time=START)


# --- last write wins on fields ----------------------------------------------------------------


def test_sent_fields_overwrite_and_absent_fields_are_kept(user_id):
    _store(
        user_id,
        start_time=START,
        notes="first",
        sample_rate=100.0,
        enabled_sensors=["accelerometer", "gps"],
    )

    stored, stamp = _store(user_id, notes="second")

    session = session_row(user_id, "s1")
    assert session.notes == "second"
    assert session.sample_rate == 100.0 and session.enabled_sensors == ["accelerometer", "gps"]
    assert stored.changed and session.updated_at == stamp


def test_a_later_push_may_move_start_time(user_id):
    _store(user_id, start_time=START)

    _store(user_id, start_time=datetime(2025, 11, 12, tzinfo=UTC))

    assert session_row(user_id, "s1").start_time == datetime(2025, 11, 12, tzinfo=UTC)


def test_null_clears_the_nullable_fields(user_id):
    _store(
        user_id,
        start_time=START,
        end_time=END,
        notes="n",
        sample_rate=50.0,
        enabled_sensors=["gps"],
    )

    _store(user_id, end_time=None, notes=None, sample_rate=None, enabled_sensors=None)

    session = session_row(user_id, "s1")
    assert session.end_time is None and session.notes is None and session.sample_rate is None
    assert session.enabled_sensors == []  # cleared to an empty list, never null
    assert session.is_active is True  # follows the cleared end_time


def test_null_is_ignored_for_is_active(user_id):
    _store(user_id, start_time=START, is_active=False)

    _store(user_id, is_active=None)

    assert session_row(user_id, "s1").is_active is False


def test_is_uploaded_sent_as_null_keeps_the_stored_value_and_skips_the_automatic_rule(user_id):
    """A null is_uploaded changes nothing, but it counts as sent: the session is closed, yet
    it is not marked uploaded (pinned: docs/sync.md#session-rules)."""
    _store(user_id, start_time=START, end_time=END, is_uploaded=False)

    _store(user_id, is_uploaded=None)

    assert session_row(user_id, "s1").is_uploaded is False


def test_resending_identical_fields_is_not_a_change(user_id):
    _store(user_id, start_time=START, notes="same", sample_rate=100.0)
    first_stamp = session_row(user_id, "s1").updated_at

    stored, stamp = _store(user_id, start_time=START, notes="same", sample_rate=100.0)

    session = session_row(user_id, "s1")
    assert stored.changed is False
    assert session.updated_at == first_stamp
    assert session.last_synced_at == stamp  # every push is a sync


# --- is_active --------------------------------------------------------------------------------


def test_sending_end_time_closes_the_session(user_id):
    _store(user_id, start_time=START)

    _store(user_id, end_time=END)

    assert session_row(user_id, "s1").is_active is False


def test_is_active_sent_with_end_time_wins_over_it(user_id):
    _store(user_id, start_time=START, end_time=END, is_active=True)

    assert session_row(user_id, "s1").is_active is True


def test_end_time_sent_again_without_is_active_resets_is_active_from_it(user_id):
    """is_active follows end_time whenever end_time is sent without is_active, even when
    end_time did not change (pinned: docs/sync.md#session-rules)."""
    _store(user_id, start_time=START, end_time=END, is_active=True)

    _store(user_id, end_time=END)

    assert session_row(user_id, "s1").is_active is False


def test_is_active_alone_does_not_touch_end_time(user_id):
    _store(user_id, start_time=START, end_time=END)

    _store(user_id, is_active=True)

    session = session_row(user_id, "s1")
    assert session.is_active is True and session.end_time == END


# --- is_uploaded ------------------------------------------------------------------------------


def test_active_session_is_not_marked_uploaded(user_id):
    _push(user_id, data=samples(3), start_time="2025-11-13T00:00:00Z")

    assert session_row(user_id, "s1").is_uploaded is False


def test_first_push_that_finds_the_session_closed_marks_it_uploaded(user_id):
    _store(user_id, start_time=START)
    first_stamp = session_row(user_id, "s1").updated_at

    _store(user_id, is_active=False)

    session = session_row(user_id, "s1")
    assert session.is_uploaded is True and session.updated_at > first_stamp


def test_a_replay_to_a_closed_session_marks_it_uploaded_and_counts_as_a_change(user_id):
    """A session closed while the client kept is_uploaded false, then pushed again without
    the flag: the automatic rule applies and stamps the session."""
    _store(user_id, start_time=START, end_time=END, is_uploaded=False)
    assert session_row(user_id, "s1").is_uploaded is False

    stored, stamp = _store(user_id)

    session = session_row(user_id, "s1")
    assert session.is_uploaded is True and stored.changed and session.updated_at == stamp


def test_is_uploaded_sent_by_the_client_is_kept_even_when_closed(user_id):
    _store(user_id, start_time=START, end_time=END, is_uploaded=False)

    assert session_row(user_id, "s1").is_uploaded is False


def test_is_uploaded_stays_true_when_the_session_is_reopened(user_id):
    _store(user_id, start_time=START, end_time=END)

    _store(user_id, end_time=None)

    session = session_row(user_id, "s1")
    assert session.is_active is True and session.is_uploaded is True


# --- last_synced_at and the change stamp ------------------------------------------------------


def test_last_synced_at_moves_on_every_push_but_updated_at_only_on_a_change(user_id):
    _push(user_id, data=samples(5), start_time="2025-11-13T00:00:00Z")
    first = session_row(user_id, "s1")
    synced, changed = first.last_synced_at, first.updated_at

    _push(user_id, data=samples(5))  # a replay

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
    _store(user_id, samples(3), start_time=START)

    stored, stamp = _store(user_id, data, **session)

    assert stored.changed is True
    assert session_row(user_id, "s1").updated_at == stamp


@pytest.mark.postgres
def test_a_push_holds_the_session_row_lock_until_it_commits(user_id, app):
    """Every writer of a session's samples locks its row first (docs/sync.md#concurrency), so
    a second writer waits instead of racing. (SQLite's database write lock does the same.)"""
    _store(user_id, start_time=START)
    store_batch(user_id, SessionIn(session_id="s1"), samples(2), begin_stamped_write())
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
