"""Rules written once and used by several features: the lenient JSON parse (request bodies and
upload lines), the push sync-log row (push and file import), the session totals (sync status and
the cleanup report)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy.exc import OperationalError

from app.auth.schemas import UserOut
from app.extensions import db
from app.models import RecordingSession
from app.recordings.sync_log import push_log
from app.recordings.totals import session_totals
from app.validation import response_fields
from app.web import lenient_json
from tests.payloads import push_body, samples
from tests.unit.sync_support import push_direct

NOW = datetime(2025, 11, 13, tzinfo=UTC)


def test_json_orjson_accepts_is_not_lenient():
    assert lenient_json.parse(b'{"a": [1, 2.5]}') == ({"a": [1, 2.5]}, False)


def test_json_with_nan_or_huge_integers_is_parsed_leniently():
    document, lenient = lenient_json.parse(b'{"a": NaN, "b": 1' + b"0" * 30 + b"}")
    assert lenient and math.isnan(document["a"]) and document["b"] == 1e30


@pytest.mark.parametrize("raw", [b"{", b'{"a": 1,}', b"\xff\xfe{}", b"[" * 5000 + b"]" * 5000])
def test_json_neither_parser_accepts_raises_orjsons_error(raw):
    with pytest.raises(orjson.JSONDecodeError):
        lenient_json.parse(raw)


def test_a_push_log_with_skipped_samples_is_partial_and_says_how_many():
    row = push_log(
        7, 3, records=10, duplicates=2, errors=3, details={}, started_at=NOW, completed_at=NOW
    )
    assert (row.sync_type, row.status, row.error_message) == (
        "push",
        "partial",
        "3 invalid samples skipped",
    )
    assert (row.records_count, row.duplicates_count, row.errors_count) == (10, 2, 3)


def test_a_push_log_without_errors_is_a_success_without_message():
    row = push_log(
        7, None, records=1, duplicates=0, errors=0, details={}, started_at=NOW, completed_at=NOW
    )
    assert (row.status, row.error_message, row.recording_session_id) == ("success", None, None)


def test_session_totals_count_the_sessions_matching_the_condition(make_user):
    alice, bob = make_user(), make_user()
    push_direct(alice, push_body("open", samples(5)))
    push_direct(alice, push_body("closed", samples(3), is_active=False))
    push_direct(bob, push_body("other", samples(2)))

    mine = session_totals(RecordingSession.user_id == alice)
    everyone = session_totals()

    assert (mine.sessions, mine.active, mine.uploaded, mine.samples_recorded) == (2, 1, 1, 8)
    assert (everyone.sessions, everyone.samples_recorded) == (3, 10)
    assert session_totals(RecordingSession.user_id == -1).sessions == 0
    db.session.rollback()


class _UnreachableRow:
    """A row whose attributes must be loaded again, while the database is down."""

    def __getattr__(self, name):
        raise OperationalError("SELECT users.id", {}, ConnectionError("server closed"))


def test_a_database_error_while_reading_a_row_for_a_response_stays_a_database_error():
    with pytest.raises(OperationalError):
        response_fields(UserOut, _UnreachableRow())
