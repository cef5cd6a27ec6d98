"""The session detail's `storage`: samples and the bytes they take, before and after compaction."""

from __future__ import annotations

from app.extensions import db
from app.housekeeping import compaction
from app.recordings.samples import footprint
from app.sessions.schemas import StorageOut
from tests.payloads import END, T0, gps_track, xyz
from tests.tasks.data import push_in_batches, session_pk

ACCELEROMETER = 3000
GPS = 200


def _storage(client, headers, session_id: str) -> dict:
    response = client.get(f"/api/sessions/{session_id}", headers=headers)
    assert response.status_code == 200
    storage = response.json["storage"]
    StorageOut.model_validate(storage)
    assert set(storage) == set(StorageOut.model_fields)
    return storage


def test_storage_counts_rows_then_chunks_and_compaction_shrinks_bytes_per_sample(
    app, client, register
):
    account = register()
    headers = account.headers
    app.config["APPEND_CHUNK_MIN_SAMPLES"] = 0  # rows first, as small batches are stored
    data = xyz("accelerometer", ACCELEROMETER) + gps_track(GPS)
    push_in_batches(client, headers, "walk", data, batch=1000, end_time=END)
    total = ACCELEROMETER + GPS

    open_rows = _storage(client, headers, "walk")
    assert open_rows["samples"] == open_rows["rows"] == total
    assert open_rows["chunks"] == 0
    # A row holds its JSON text and a few dozen bytes of header, columns and index entries.
    assert 60 < open_rows["bytes_per_sample"] < 400
    assert abs(open_rows["bytes"] / total - open_rows["bytes_per_sample"]) < 0.01

    with app.app_context():
        assert compaction.compact(session_pk(app, account.user["id"], "walk"))["samples"] == total

    compacted = _storage(client, headers, "walk")
    assert compacted["samples"] == total
    assert (compacted["rows"], compacted["chunks"]) == (0, 2)  # one per sensor type
    assert compacted["bytes"] > 0
    assert compacted["bytes_per_sample"] < open_rows["bytes_per_sample"] / 4


def test_a_late_row_after_compaction_is_counted_with_the_chunks(app, client, register):
    account = register()
    headers = account.headers
    push_in_batches(client, headers, "late", xyz("gyroscope", 500), end_time=END)
    with app.app_context():
        compaction.compact(session_pk(app, account.user["id"], "late"))
    late = xyz("gyroscope", 1, start=T0 + 60_000, seed=2)
    assert push_in_batches(client, headers, "late", late, end_time=END)["inserted"] == 1

    storage = _storage(client, headers, "late")
    assert (storage["samples"], storage["rows"], storage["chunks"]) == (501, 1, 1)


def test_a_session_without_samples_takes_no_bytes(client, auth_headers):
    push_in_batches(client, auth_headers, "empty", [])
    assert _storage(client, auth_headers, "empty") == {
        "samples": 0,
        "bytes": 0,
        "bytes_per_sample": None,
        "chunks": 0,
        "rows": 0,
    }


def test_rows_of_a_long_session_are_measured_on_a_sample_and_scaled(
    app, client, register, monkeypatch
):
    account = register()
    app.config["APPEND_CHUNK_MIN_SAMPLES"] = 0  # rows, which are measured on a sample
    data = xyz("accelerometer", 1500) + xyz("gyroscope", 1500, seed=2) + gps_track(100)
    push_in_batches(client, account.headers, "long", data, batch=1000)
    pk = session_pk(app, account.user["id"], "long")
    with app.app_context():
        exact = footprint.session_footprint(pk)  # every row measured: fewer than ROW_SAMPLE
        monkeypatch.setattr(footprint, "ROW_SAMPLE", 100)
        sampled = footprint.session_footprint(pk)
        counted = footprint.session_footprint(pk, {1: 99_999})  # wrong counts are believed
        db.session.rollback()
    assert (sampled.samples, sampled.rows) == (exact.samples, exact.rows) == (3100, 3100)
    assert abs(sampled.bytes - exact.bytes) < 0.02 * exact.bytes  # same-shaped values
    assert counted.samples == 99_999  # the caller's counts are used, not counted again
