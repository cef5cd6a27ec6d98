"""Session rules of a push, called directly (no HTTP): creation, last write wins on fields,
and `is_active`. Written down in docs/sync.md#session-rules; `is_uploaded`, `last_synced_at`,
the change stamp and the session lock: test_sync_session_flags.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

# App modules (they move in the restructure; only this block names them).
from app.errors import ValidationFailed
from app.extensions import db
from app.recordings.schemas import SessionIn
from tests.payloads import samples
from tests.unit.sync_support import push_session, session_row, store_session

START = datetime(2025, 11, 13, tzinfo=UTC)
END = datetime(2025, 11, 13, 1, tzinfo=UTC)


# --- creation ---------------------------------------------------------------------------------


def test_first_push_creates_the_session_with_defaults_for_what_was_not_sent(user_id):
    stored, stamp = store_session(user_id, start_time=START)

    session = session_row(user_id, "s1")
    assert stored.created and stored.changed
    assert session.start_time == START and session.end_time is None
    assert session.is_active is True  # no end_time
    assert session.is_uploaded is False
    assert session.enabled_sensors == [] and session.sample_rate is None and session.notes is None
    assert session.data_count == 0
    assert session.created_at == session.updated_at == session.last_synced_at == stamp


def test_first_push_of_a_closed_session_creates_it_inactive_and_uploaded(user_id):
    push_session(user_id, start_time="2025-11-13T00:00:00Z", end_time="2025-11-13T01:00:00Z")

    session = session_row(user_id, "s1")
    assert session.is_active is False and session.is_uploaded is True


def test_first_push_without_start_time_is_rejected_and_creates_nothing(user_id):
    with pytest.raises(ValidationFailed, match="start_time is required"):
        push_session(user_id, data=samples(3), notes="no start")
    db.session.rollback()

    assert session_row(user_id, "s1") is None


def test_later_push_without_start_time_updates_the_session(user_id):
    push_session(user_id, start_time="2025-11-13T00:00:00Z")

    response = push_session(user_id, data=samples(2), notes="second batch")

    assert response["inserted"] == 2
    assert session_row(user_id, "s1").notes == "second batch"


def test_start_time_null_is_rejected_by_the_request_model():
    with pytest.raises(ValidationError, match=r"start_time\n\s+Input should be a valid datetime"):
        SessionIn(session_id="s1", start_time=None)


def test_end_time_before_start_time_is_rejected_by_the_request_model():
    with pytest.raises(ValidationError, match="end_time must not be before start_time"):
        SessionIn(session_id="s1", start_time=END, end_time=START)


# --- last write wins on fields ----------------------------------------------------------------


def test_sent_fields_overwrite_and_absent_fields_are_kept(user_id):
    store_session(
        user_id,
        start_time=START,
        notes="first",
        sample_rate=100.0,
        enabled_sensors=["accelerometer", "gps"],
    )

    stored, stamp = store_session(user_id, notes="second")

    session = session_row(user_id, "s1")
    assert session.notes == "second"
    assert session.sample_rate == 100.0 and session.enabled_sensors == ["accelerometer", "gps"]
    assert stored.changed and session.updated_at == stamp


def test_a_later_push_may_move_start_time(user_id):
    store_session(user_id, start_time=START)

    store_session(user_id, start_time=datetime(2025, 11, 12, tzinfo=UTC))

    assert session_row(user_id, "s1").start_time == datetime(2025, 11, 12, tzinfo=UTC)


def test_null_clears_the_nullable_fields(user_id):
    store_session(
        user_id,
        start_time=START,
        end_time=END,
        notes="n",
        sample_rate=50.0,
        enabled_sensors=["gps"],
    )

    store_session(user_id, end_time=None, notes=None, sample_rate=None, enabled_sensors=None)

    session = session_row(user_id, "s1")
    assert session.end_time is None and session.notes is None and session.sample_rate is None
    assert session.enabled_sensors == []  # cleared to an empty list, never null
    assert session.is_active is True  # follows the cleared end_time


def test_null_is_ignored_for_is_active(user_id):
    store_session(user_id, start_time=START, is_active=False)

    store_session(user_id, is_active=None)

    assert session_row(user_id, "s1").is_active is False


def test_resending_identical_fields_is_not_a_change(user_id):
    store_session(user_id, start_time=START, notes="same", sample_rate=100.0)
    first_stamp = session_row(user_id, "s1").updated_at

    stored, stamp = store_session(user_id, start_time=START, notes="same", sample_rate=100.0)

    session = session_row(user_id, "s1")
    assert stored.changed is False
    assert session.updated_at == first_stamp
    assert session.last_synced_at == stamp  # every push is a sync


# --- is_active --------------------------------------------------------------------------------


def test_sending_end_time_closes_the_session(user_id):
    store_session(user_id, start_time=START)

    store_session(user_id, end_time=END)

    assert session_row(user_id, "s1").is_active is False


def test_is_active_sent_with_end_time_wins_over_it(user_id):
    store_session(user_id, start_time=START, end_time=END, is_active=True)

    assert session_row(user_id, "s1").is_active is True


def test_end_time_sent_again_without_is_active_resets_is_active_from_it(user_id):
    """is_active follows end_time whenever end_time is sent without is_active, even when
    end_time did not change (pinned: docs/sync.md#session-rules)."""
    store_session(user_id, start_time=START, end_time=END, is_active=True)

    store_session(user_id, end_time=END)

    assert session_row(user_id, "s1").is_active is False


def test_is_active_alone_does_not_touch_end_time(user_id):
    store_session(user_id, start_time=START, end_time=END)

    store_session(user_id, is_active=True)

    session = session_row(user_id, "s1")
    assert session.is_active is True and session.end_time == END
