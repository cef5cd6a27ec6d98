"""Dedup, last write wins and the counts of a push, called directly (no HTTP).

The rules are written down in docs/sync.md (#dedup, #last-write-wins, #counts); each test
names the behaviour it pins. Every test runs on the backend of the pass (SQLite or
PostgreSQL), so both ingest paths keep the same contract.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

# App modules (they move in the restructure; only this block names them).
from app.errors import PayloadTooLarge, ValidationFailed
from app.extensions import db
from app.models import SensorData, SyncLog
from app.sync.ingest import upsert_samples
from app.sync.push import PushLimits, dedupe_last_wins, store_batch
from app.sync.schemas import SessionIn
from app.sync.watermark import begin_stamped_write
from tests.factories import BASE_TS, push_body, samples
from tests.unit.sync_support import (
    counts,
    push_direct,
    session_row,
    stored_data,
    stored_rows,
)


def _sample(timestamp: int, sensor_type: str = "accelerometer", **data: float) -> dict:
    return {"sensor_type": sensor_type, "timestamp": timestamp, "data": data or {"x": 1.0}}


# --- dedup: the key is (session, sensor_type, timestamp) ---------------------------------------


def test_first_push_inserts_every_sample(user_id):
    response = push_direct(user_id, push_body(data=samples(100)))

    assert counts(response) == dict(
        total_records=100, inserted=100, updated=0, duplicates=0, errors=0
    )
    assert response["session_data_count"] == 100
    assert len(stored_rows(session_row(user_id, "session-1").id)) == 100


def test_repush_counts_everything_as_duplicate(user_id):
    payload = push_body(data=samples(50))
    push_direct(user_id, payload)
    before = session_row(user_id, "session-1")
    stamp_before, rows_before = before.updated_at, stored_rows(before.id)

    response = push_direct(user_id, payload)

    assert counts(response) == dict(
        total_records=50, inserted=0, updated=0, duplicates=50, errors=0
    )
    after = session_row(user_id, "session-1")
    assert after.data_count == 50
    assert after.updated_at == stamp_before  # a replay is not a change: delta pulls skip it
    rows_after = stored_rows(after.id)
    assert {k: r.updated_at for k, r in rows_after.items()} == {
        k: r.updated_at for k, r in rows_before.items()
    }


def test_same_timestamp_on_two_sensor_types_is_two_samples(user_id):
    batch = [_sample(BASE_TS, "accelerometer"), _sample(BASE_TS, "gyroscope")]

    response = push_direct(user_id, push_body(data=batch))

    assert response["inserted"] == 2
    assert set(stored_data(session_row(user_id, "session-1").id)) == {
        ("accelerometer", BASE_TS),
        ("gyroscope", BASE_TS),
    }


def test_same_key_in_two_sessions_is_two_samples(user_id):
    push_direct(user_id, push_body("first", data=[_sample(BASE_TS)]))

    response = push_direct(user_id, push_body("second", data=[_sample(BASE_TS)]))

    assert response["inserted"] == 1 and response["duplicates"] == 0


def test_same_session_id_of_two_users_is_two_sessions(make_user):
    alice, bob = make_user(), make_user()
    push_direct(alice, push_body("shared", data=[_sample(BASE_TS, x=1.0)]))

    response = push_direct(bob, push_body("shared", data=[_sample(BASE_TS, x=2.0)]))

    assert response["inserted"] == 1 and response["updated"] == 0
    assert stored_data(session_row(alice, "shared").id) == {("accelerometer", BASE_TS): {"x": 1.0}}


# --- last write wins ------------------------------------------------------------------------


def test_changed_data_is_updated_and_replaces_the_stored_data(user_id):
    push_direct(user_id, push_body(data=samples(10)))
    changed = samples(10)
    for sample in changed[:3]:
        sample["data"] = {"x": 1.5, "y": -2.0, "z": 3.25}

    response = push_direct(user_id, push_body(data=changed))

    assert counts(response) == dict(total_records=10, inserted=0, updated=3, duplicates=7, errors=0)
    stored = stored_data(session_row(user_id, "session-1").id)
    assert stored[("accelerometer", BASE_TS)] == {"x": 1.5, "y": -2.0, "z": 3.25}
    assert stored[("accelerometer", BASE_TS + 90)] == changed[9]["data"]
    assert response["session_data_count"] == 10  # an update is not a new sample


def test_identical_data_with_keys_in_another_order_is_a_duplicate(user_id):
    first = {
        "sensor_type": "gps",
        "timestamp": BASE_TS,
        "data": {"latitude": 1.0, "longitude": 2.0},
    }
    second = {**first, "data": {"longitude": 2.0, "latitude": 1.0}}
    push_direct(user_id, push_body(data=[first]))

    response = push_direct(user_id, push_body(data=[second]))

    assert response["duplicates"] == 1 and response["updated"] == 0


def test_nested_data_that_differs_only_deep_inside_is_an_update(user_id):
    first = _sample(BASE_TS)
    first["data"] = {"fix": {"lat": 1.0, "acc": [1, 2, 3]}}
    second = {**first, "data": {"fix": {"lat": 1.0, "acc": [1, 2, 4]}}}
    push_direct(user_id, push_body(data=[first]))

    assert push_direct(user_id, push_body(data=[second]))["updated"] == 1


def test_numerically_equal_numbers_written_differently_depend_on_the_backend(user_id):
    """Pins today's behaviour (docs/sync.md#last-write-wins): PostgreSQL compares jsonb, where
    1 and 1.0 are equal (a duplicate, the stored text stays); SQLite compares the JSON text
    (an update). Clients send the same number the same way, so this rarely shows."""
    push_direct(user_id, push_body(data=[_sample(BASE_TS, x=1)]))

    response = push_direct(user_id, push_body(data=[_sample(BASE_TS, x=1.0)]))

    postgres = db.engine.dialect.name == "postgresql"
    assert (response["duplicates"], response["updated"]) == ((1, 0) if postgres else (0, 1))


def test_an_update_moves_the_rows_updated_at_and_keeps_its_created_at(user_id):
    push_direct(user_id, push_body(data=[_sample(BASE_TS, x=1.0), _sample(BASE_TS + 10, x=1.0)]))
    session_pk = session_row(user_id, "session-1").id
    before = stored_rows(session_pk)

    push_direct(user_id, push_body(data=[_sample(BASE_TS, x=2.0), _sample(BASE_TS + 10, x=1.0)]))

    after = stored_rows(session_pk)
    changed, same = ("accelerometer", BASE_TS), ("accelerometer", BASE_TS + 10)
    assert after[changed].created_at == before[changed].created_at
    assert after[changed].updated_at > before[changed].updated_at
    assert after[changed].id == before[changed].id  # updated in place, not re-inserted
    assert after[same].updated_at == before[same].updated_at


# --- duplicates inside one batch --------------------------------------------------------------


def test_same_key_twice_in_a_batch_last_wins_and_earlier_count_as_duplicates(user_id):
    batch = samples(3)
    batch.append({**batch[0], "data": {"x": 7.0}})
    batch.append({**batch[0], "data": {"x": 8.0}})

    response = push_direct(user_id, push_body(data=batch))

    assert counts(response) == dict(total_records=5, inserted=3, updated=0, duplicates=2, errors=0)
    assert stored_data(session_row(user_id, "session-1").id)[("accelerometer", BASE_TS)] == {
        "x": 8.0
    }


def test_in_batch_repeat_of_a_stored_key_updates_once_with_the_last_data(user_id):
    push_direct(user_id, push_body(data=[_sample(BASE_TS, x=1.0)]))
    batch = [_sample(BASE_TS, x=2.0), _sample(BASE_TS, x=3.0), _sample(BASE_TS, x=1.0)]

    response = push_direct(user_id, push_body(data=batch))

    # The last one equals what is stored: nothing changes, all three are duplicates.
    assert counts(response) == dict(total_records=3, inserted=0, updated=0, duplicates=3, errors=0)


def test_dedupe_last_wins_keeps_the_last_sample_of_each_key_in_key_order():
    batch = [
        _sample(BASE_TS + 10, "gyroscope", x=1.0),
        _sample(BASE_TS, "gyroscope", x=2.0),
        _sample(BASE_TS + 10, "accelerometer", x=3.0),
        _sample(BASE_TS + 10, "gyroscope", x=4.0),
    ]

    unique = dedupe_last_wins(batch)

    assert [(s["sensor_type"], s["timestamp"], s["data"]["x"]) for s in unique] == [
        ("accelerometer", BASE_TS + 10, 3.0),
        ("gyroscope", BASE_TS, 2.0),
        ("gyroscope", BASE_TS + 10, 4.0),
    ]


# --- counts -----------------------------------------------------------------------------------


def test_counts_add_up_to_total_records_for_a_batch_holding_every_outcome(user_id):
    push_direct(user_id, push_body(data=samples(10)))
    batch = samples(10)  # 10 stored keys
    for sample in batch[:4]:
        sample["data"] = {"x": -1.0}  # 4 updates, 6 duplicates
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
    push_direct(user_id, push_body(data=[_sample(BASE_TS), _sample(BASE_TS + 100)]))
    return session_row(user_id, "session-1").id


def test_upsert_counts_new_and_changed_keys_and_leaves_identical_rows(user_id):
    session_pk = _stored_session(user_id)
    batch = dedupe_last_wins(
        [_sample(BASE_TS), _sample(BASE_TS + 100, x=2.0), _sample(BASE_TS + 200)]
    )

    stamp = begin_stamped_write()
    result = upsert_samples(session_pk, batch, stamp)
    db.session.commit()

    assert (result.inserted, result.updated) == (1, 1)
    rows = stored_rows(session_pk)
    assert rows[("accelerometer", BASE_TS + 100)].updated_at == stamp
    assert rows[("accelerometer", BASE_TS + 200)].created_at == stamp
    assert rows[("accelerometer", BASE_TS)].updated_at < stamp


@pytest.mark.parametrize(
    "timestamps",
    [
        pytest.param([BASE_TS + 500, BASE_TS + 600], id="appended-after-stored-keys"),
        pytest.param([BASE_TS + 50, BASE_TS + 150], id="spanning-stored-keys"),
        pytest.param([BASE_TS - 100, BASE_TS + 50], id="before-and-between"),
    ],
)
def test_new_keys_are_inserted_wherever_they_fall_relative_to_stored_ones(user_id, timestamps):
    """PostgreSQL writes a batch that overlaps no stored key with COPY and the rest with the
    upsert; the counts must not depend on which path ran."""
    session_pk = _stored_session(user_id)

    stamp = begin_stamped_write()
    result = upsert_samples(session_pk, [_sample(t) for t in timestamps], stamp)
    db.session.commit()

    assert (result.inserted, result.updated) == (2, 0)
    assert len(stored_rows(session_pk)) == 4


def test_upsert_of_an_empty_batch_writes_nothing(user_id):
    session_pk = _stored_session(user_id)

    stamp = begin_stamped_write()
    result = upsert_samples(session_pk, [], stamp)
    db.session.commit()

    assert (result.inserted, result.updated) == (0, 0)


def test_store_batch_adds_only_inserted_samples_to_data_count(user_id):
    _stored_session(user_id)
    incoming = SessionIn(session_id="session-1")
    batch = dedupe_last_wins([_sample(BASE_TS, x=5.0), _sample(BASE_TS + 300)])

    stamp = begin_stamped_write()
    stored = store_batch(user_id, incoming, batch, stamp)
    db.session.commit()

    assert (stored.counts.inserted, stored.counts.updated) == (1, 1)
    assert stored.created is False and stored.changed is True
    assert session_row(user_id, "session-1").data_count == 3
    assert db.session.scalar(select(func.count()).select_from(SensorData)) == 3
