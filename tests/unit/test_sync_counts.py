"""The counts of a push, what makes a push store nothing, and the upsert underneath, called
directly (no HTTP). Written down in docs/sync.md#counts and #whole-request-failures.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

# App modules (they move in the restructure; only this block names them).
from app.errors import PayloadTooLarge, ValidationFailed
from app.extensions import db
from app.models import SensorData, SyncLog
from app.recordings.batches import store_batch
from app.recordings.samples.writing import COPY_MIN_SAMPLES, upsert_samples
from app.recordings.schemas import SessionIn
from app.recordings.watermark import begin_stamped_write
from app.sync.push import PushLimits
from tests.payloads import BASE_TS, push_body, sample, samples
from tests.unit.sync_support import (
    KEY_CAP,
    counts,
    push_direct,
    session_row,
    stored_rows,
    unique_samples,
)

# --- counts -----------------------------------------------------------------------------------


def test_counts_add_up_to_total_records_for_a_batch_holding_every_outcome(user_id):
    push_direct(user_id, push_body(data=samples(10)))
    batch = samples(10)  # 10 stored keys
    for changed_sample in batch[:4]:
        changed_sample["data"] = {"x": -1.0}  # 4 updates, 6 duplicates
    batch += samples(5, start=BASE_TS + 1000)  # 5 inserts
    batch.append({**batch[-1], "data": {"x": 5.0}})  # in-batch repeat: 1 more duplicate
    batch += [{"sensor_type": "Bad-Type", "timestamp": BASE_TS, "data": {}}, "not a sample"]

    response = push_direct(user_id, push_body(data=batch))

    assert counts(response) == dict(total_records=18, inserted=5, updated=4, duplicates=7, errors=2)
    assert sum(response[k] for k in ("inserted", "updated", "duplicates", "errors")) == 18
    assert response["session_data_count"] == 15


def test_sync_log_records_the_counts_of_the_push(user_id):
    push_direct(user_id, push_body(data=samples(3)))
    batch = samples(4) + [{"sensor_type": "accelerometer", "timestamp": "soon", "data": {}}]
    batch[0] = {**batch[0], "data": {"x": 9.0}}

    response = push_direct(user_id, push_body(data=batch))

    log = db.session.get(SyncLog, response["sync_log_id"])
    assert (log.sync_type, log.status) == ("push", "partial")
    assert (log.records_count, log.duplicates_count, log.errors_count) == (5, 2, 1)
    assert log.details["inserted"] == 1 and log.details["updated"] == 1
    assert log.details["sensor_types"] == ["accelerometer"]
    assert log.error_message == "1 invalid samples skipped"
    assert log.recording_session_id == session_row(user_id, "session-1").id


def test_a_push_without_errors_is_logged_as_success(user_id):
    response = push_direct(user_id, push_body(data=samples(2)))

    assert response["message"] == "Sync completed successfully"
    assert db.session.get(SyncLog, response["sync_log_id"]).status == "success"


def test_error_details_are_capped_but_errors_count_every_invalid_sample(user_id):
    batch = [{"sensor_type": "x", "timestamp": 1, "data": {}} for _ in range(7)]
    limits = PushLimits(max_samples=100, max_error_details=3)

    response = push_direct(user_id, push_body(data=batch), limits=limits)

    assert response["errors"] == 7
    assert [d["index"] for d in response["error_details"]] == [0, 1, 2]
    assert response["message"] == "Sync completed with errors"


# --- what stores nothing ----------------------------------------------------------------------


def test_more_samples_than_the_limit_fails_the_whole_push_and_stores_nothing(user_id):
    limits = PushLimits(max_samples=5, max_error_details=100)

    with pytest.raises(PayloadTooLarge):
        push_direct(user_id, push_body(data=samples(6)), limits=limits)

    db.session.rollback()
    assert session_row(user_id, "session-1") is None
    assert db.session.scalar(select(func.count()).select_from(SyncLog)) == 0


def test_a_push_rejected_by_the_session_rules_leaves_nothing_behind(user_id):
    push_direct(user_id, push_body(data=samples(2)))
    end_before_stored_start = {
        "session": {"session_id": "session-1", "end_time": "2025-11-12T00:00:00Z"},
        "sensor_data": samples(3, start=BASE_TS + 5000),
    }

    with pytest.raises(ValidationFailed):
        push_direct(user_id, end_before_stored_start)
    db.session.rollback()  # what the error handler does

    session = session_row(user_id, "session-1")
    assert session.end_time is None and session.data_count == 2
    assert len(stored_rows(session.id)) == 2
    assert db.session.scalar(select(func.count()).select_from(SyncLog)) == 1


# --- the upsert itself ------------------------------------------------------------------------


def _stored_session(user_id: int) -> int:
    push_direct(user_id, push_body(data=[sample(BASE_TS), sample(BASE_TS + 100)]))
    return session_row(user_id, "session-1").id


def test_upsert_counts_new_and_changed_keys_and_leaves_identical_rows(user_id):
    session_pk = _stored_session(user_id)
    batch = unique_samples(
        [
            sample(BASE_TS),
            sample(BASE_TS + 100, x=2.0),
            sample(BASE_TS + 200),
        ]
    )

    stamp = begin_stamped_write()
    result = upsert_samples(session_pk, batch, stamp, user_id=user_id)
    db.session.commit()

    assert (result.inserted, result.updated) == (1, 1)
    rows = stored_rows(session_pk)
    assert rows[("accelerometer", BASE_TS + 100)].updated_at == stamp
    assert rows[("accelerometer", BASE_TS + 200)].created_at == stamp
    assert rows[("accelerometer", BASE_TS)].updated_at < stamp


def _around_stored_keys(where: str, count: int) -> list[int]:
    """`count` new timestamps placed relative to the stored BASE_TS and BASE_TS + 100."""
    if where == "appended":
        return [BASE_TS + 500 + i for i in range(count)]
    if where == "spanning":
        return [BASE_TS + 50] + [BASE_TS + 101 + i for i in range(count - 1)]
    return [BASE_TS - 100 - i for i in range(count - 1)] + [BASE_TS + 50]  # before and between


@pytest.mark.parametrize("where", ["appended", "spanning", "before-and-between"])
@pytest.mark.parametrize("count", [2, COPY_MIN_SAMPLES], ids=["small-batch", "copy-sized-batch"])
def test_new_keys_are_inserted_wherever_they_fall_relative_to_stored_ones(user_id, where, count):
    """PostgreSQL writes a large batch that overlaps no stored key with COPY and every other
    batch with the upsert; the counts must not depend on which path ran."""
    session_pk = _stored_session(user_id)

    stamp = begin_stamped_write()
    timestamps = _around_stored_keys(where, count)
    result = upsert_samples(
        session_pk, [sample(t) for t in sorted(timestamps)], stamp, user_id=user_id
    )
    db.session.commit()

    assert (result.inserted, result.updated) == (count, 0)
    assert len(stored_rows(session_pk)) == count + 2


def test_upsert_of_an_empty_batch_writes_nothing(user_id):
    session_pk = _stored_session(user_id)

    stamp = begin_stamped_write()
    result = upsert_samples(session_pk, [], stamp, user_id=user_id)
    db.session.commit()

    assert (result.inserted, result.updated) == (0, 0)


def test_store_batch_adds_only_inserted_samples_to_data_count(user_id):
    _stored_session(user_id)
    incoming = SessionIn(session_id="session-1")
    batch = unique_samples([sample(BASE_TS, x=5.0), sample(BASE_TS + 300)])

    stamp = begin_stamped_write()
    stored = store_batch(user_id, incoming, batch, stamp, KEY_CAP)
    db.session.commit()

    assert (stored.counts.inserted, stored.counts.updated) == (1, 1)
    assert stored.created is False and stored.changed is True
    assert session_row(user_id, "session-1").data_count == 3
    assert db.session.scalar(select(func.count()).select_from(SensorData)) == 3
