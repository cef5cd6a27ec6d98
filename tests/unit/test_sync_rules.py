"""Dedup and last write wins of a push, called directly (no HTTP).

The rules are written down in docs/sync.md (#dedup, #last-write-wins); each test names the
behaviour it pins. Every test runs on the backend of the pass (SQLite or PostgreSQL), so both
ingest paths keep the same contract. Counts: test_sync_counts.py.
"""

from __future__ import annotations

# App modules (they move in the restructure; only this block names them).
from app.extensions import db
from app.recordings.batches import dedupe_last_wins
from tests.payloads import BASE_TS, push_body, sample, samples
from tests.unit.sync_support import (
    counts,
    push_direct,
    session_row,
    stored_data,
    stored_rows,
)

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
    batch = [sample(BASE_TS, "accelerometer"), sample(BASE_TS, "gyroscope")]

    response = push_direct(user_id, push_body(data=batch))

    assert response["inserted"] == 2
    assert set(stored_data(session_row(user_id, "session-1").id)) == {
        ("accelerometer", BASE_TS),
        ("gyroscope", BASE_TS),
    }


def test_same_key_in_two_sessions_is_two_samples(user_id):
    push_direct(user_id, push_body("first", data=[sample(BASE_TS)]))

    response = push_direct(user_id, push_body("second", data=[sample(BASE_TS)]))

    assert response["inserted"] == 1 and response["duplicates"] == 0


def test_same_session_id_of_two_users_is_two_sessions(make_user):
    alice, bob = make_user(), make_user()
    push_direct(alice, push_body("shared", data=[sample(BASE_TS, x=1.0)]))

    response = push_direct(bob, push_body("shared", data=[sample(BASE_TS, x=2.0)]))

    assert response["inserted"] == 1 and response["updated"] == 0
    assert stored_data(session_row(alice, "shared").id) == {("accelerometer", BASE_TS): {"x": 1.0}}


# --- last write wins ------------------------------------------------------------------------


def test_changed_data_is_updated_and_replaces_the_stored_data(user_id):
    push_direct(user_id, push_body(data=samples(10)))
    changed = samples(10)
    for changed_sample in changed[:3]:
        changed_sample["data"] = {"x": 1.5, "y": -2.0, "z": 3.25}

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
    first = sample(BASE_TS)
    first["data"] = {"fix": {"lat": 1.0, "acc": [1, 2, 3]}}
    second = {**first, "data": {"fix": {"lat": 1.0, "acc": [1, 2, 4]}}}
    push_direct(user_id, push_body(data=[first]))

    assert push_direct(user_id, push_body(data=[second]))["updated"] == 1


def test_numerically_equal_numbers_written_differently_depend_on_the_backend(user_id):
    """Pins today's behaviour (docs/sync.md#last-write-wins): PostgreSQL compares jsonb, where
    1 and 1.0 are equal (a duplicate, the stored text stays); SQLite compares the JSON text
    (an update). Clients send the same number the same way, so this rarely shows."""
    push_direct(user_id, push_body(data=[sample(BASE_TS, x=1)]))

    response = push_direct(user_id, push_body(data=[sample(BASE_TS, x=1.0)]))

    postgres = db.engine.dialect.name == "postgresql"
    assert (response["duplicates"], response["updated"]) == ((1, 0) if postgres else (0, 1))


def test_an_update_moves_the_rows_updated_at_and_keeps_its_created_at(user_id):
    push_direct(
        user_id,
        push_body(data=[sample(BASE_TS, x=1.0), sample(BASE_TS + 10, x=1.0)]),
    )
    session_pk = session_row(user_id, "session-1").id
    before = stored_rows(session_pk)

    push_direct(
        user_id,
        push_body(data=[sample(BASE_TS, x=2.0), sample(BASE_TS + 10, x=1.0)]),
    )

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
    push_direct(user_id, push_body(data=[sample(BASE_TS, x=1.0)]))
    batch = [
        sample(BASE_TS, x=2.0),
        sample(BASE_TS, x=3.0),
        sample(BASE_TS, x=1.0),
    ]

    response = push_direct(user_id, push_body(data=batch))

    # The last one equals what is stored: nothing changes, all three are duplicates.
    assert counts(response) == dict(total_records=3, inserted=0, updated=0, duplicates=3, errors=0)


def test_dedupe_last_wins_keeps_the_last_sample_of_each_key_in_key_order():
    batch = [
        sample(BASE_TS + 10, "gyroscope", x=1.0),
        sample(BASE_TS, "gyroscope", x=2.0),
        sample(BASE_TS + 10, "accelerometer", x=3.0),
        sample(BASE_TS + 10, "gyroscope", x=4.0),
    ]

    unique = [sample for _, sample in dedupe_last_wins(list(enumerate(batch)))]

    assert [(s["sensor_type"], s["timestamp"], s["data"]["x"]) for s in unique] == [
        ("accelerometer", BASE_TS + 10, 3.0),
        ("gyroscope", BASE_TS, 2.0),
        ("gyroscope", BASE_TS + 10, 4.0),
    ]
