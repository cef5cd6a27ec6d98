"""Compaction moves rows into chunks without changing anything a reader, a delta pull or a
later push sees (docs/storage.md)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from app.extensions import db
from app.models import SampleChunk
from app.recordings.samples import frames
from tests.payloads import push_body, sample, samples
from tests.recordings.store_readers import (
    answers,
    compact,
    pulled,
    session_pk,
    stored_counts,
)
from tests.sync.helpers import pull, push

ODD_VALUES = [
    {"x": -0.0, "y": 5, "z": 5.0},
    {"x": 0.1 + 0.2, "y": 2**52 + 1, "z": -(2**40)},
    {"x": 1e-30, "tiny": 1e-300, "y": -3, "z": 1.5},
    {"x": 3.4028234663852886e38, "label": 'a,"b"\n', "flag": True},
    {"x": None, "flag": False, "nested": {"b": [1, 2.0, {"c": None}], "a": "é"}},
    {"list": [], "empty": {}, "x": 7},
    {},
]


def _mixed() -> list[dict]:
    odd = [sample(1_699_876_600_000 + i, "light", **data) for i, data in enumerate(ODD_VALUES)]
    gap = samples(10, start=samples(40)[-1]["timestamp"] + 5_000)  # a gap coverage finds
    return samples(40) + gap + samples(13, "gps", step=1000) + odd


def exact(value) -> str:
    """A text that tells -0.0 from 0.0 and 5 from 5.0, whatever order a dict's keys come in."""
    return json.dumps(value, sort_keys=True)


TYPES = ["accelerometer", "gps", "light"]


def test_every_reader_answers_the_same_after_compaction(app, client, auth_headers):
    push(client, auth_headers, push_body("s", _mixed(), end_time="2025-11-14T00:00:00Z"))
    before = answers(client, auth_headers, "s", TYPES)
    compact(app, "s", step_rows=11, chunk_samples=7)
    assert stored_counts(app) == (0, 70)
    after = answers(client, auth_headers, "s", TYPES)
    for key in before:
        assert exact(after[key]) == exact(before[key]), key


# Integers beyond what a float64 holds exactly (the Parquet export has no column for them).
BIG = [{"n": 2**63 - 1, "m": -(2**63)}, {"n": 2**64 - 1, "m": 5}, {"n": 7, "m": 2**53 + 1}]


def test_big_integers_stay_exact(app, client, auth_headers):
    big = [sample(1_699_876_600_000 + i, "counter", **data) for i, data in enumerate(BIG)]
    push(client, auth_headers, push_body("s", big))
    before = pulled(client, auth_headers, "s")
    compact(app, "s")
    assert stored_counts(app) == (0, 3)
    assert exact(pulled(client, auth_headers, "s")) == exact(before)
    assert [s["data"] for s in before] == BIG


def test_analysis_frames_are_the_same_after_compaction(app, client, auth_headers):
    push(client, auth_headers, push_body("s", _mixed()))

    def frame():
        with app.app_context():
            loaded = frames.load_frame(session_pk("s"), ("sensor_type", "timestamp"))
            db.session.remove()
        return loaded.sort_values(["sensor_type", "timestamp"], kind="stable").reset_index(
            drop=True
        )

    before = frame()
    compact(app, "s", step_rows=11, chunk_samples=7)
    after = frame()
    assert list(after.columns) == list(before.columns)
    pd.testing.assert_frame_equal(after, before)


def test_chunks_hold_at_most_the_chunk_size_and_never_overlap(app, client, auth_headers):
    push(client, auth_headers, push_body("s", samples(40)))
    compact(app, "s", step_rows=11, chunk_samples=7)
    with app.app_context():
        spans = (
            db.session.query(
                SampleChunk.first_timestamp, SampleChunk.last_timestamp, SampleChunk.sample_count
            )
            .order_by(SampleChunk.first_timestamp)
            .all()
        )
    assert all(count <= 7 for _, _, count in spans)
    assert sum(count for _, _, count in spans) == 40
    assert all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False))


def test_half_compacted_sessions_read_the_same(app, client, auth_headers):
    push(client, auth_headers, push_body("s", _mixed()))
    before = answers(client, auth_headers, "s", TYPES)
    with app.app_context():
        from app.recordings.samples.compaction import compact_step

        compact_step(session_pk("s"), step_rows=25, chunk_samples=10)
        db.session.remove()
    assert stored_counts(app) == (45, 25)
    after = answers(client, auth_headers, "s", TYPES)
    for key in before:
        assert exact(after[key]) == exact(before[key]), key


def test_compaction_is_not_a_change_for_delta_pulls(app, client, auth_headers):
    push(client, auth_headers, push_body("s", samples(20)))
    mark = pull(client, auth_headers)["server_timestamp"]
    changed = [sample(samples(20)[5]["timestamp"], x=42.0), sample(samples(1)[0]["timestamp"] + 1)]
    push(client, auth_headers, push_body("s", changed))
    later = pull(client, auth_headers)["server_timestamp"]
    delta = pulled(client, auth_headers, "s", last_sync_time=mark)
    compact(app, "s", chunk_samples=6)
    assert stored_counts(app) == (0, 21)
    assert exact(pulled(client, auth_headers, "s", last_sync_time=mark)) == exact(delta)
    assert pull(client, auth_headers, last_sync_time=later)["sessions"] == []


@pytest.mark.parametrize(
    "late",
    [
        samples(3, start=samples(40)[10]["timestamp"] + 5),  # inside a chunk: new keys
        samples(5, start=samples(40)[12]["timestamp"]),  # the same keys, same values
        [sample(samples(40)[20]["timestamp"], x=-1.0)],  # a changed value
        samples(50, start=samples(40)[0]["timestamp"] - 95, step=3),  # across several chunks
        samples(4, start=samples(40)[39]["timestamp"] + 10),  # after the last chunk
        samples(4, "gps", start=samples(40)[15]["timestamp"]),  # another sensor type
    ],
)
def test_late_pushes_count_and_read_as_without_compaction(app, client, auth_headers, late):
    for name in ("plain", "packed"):
        push(client, auth_headers, push_body(name, samples(40)))
    compact(app, "packed", chunk_samples=8)
    responses = [push(client, auth_headers, push_body(name, late)) for name in ("plain", "packed")]
    assert _counts(responses[0]) == _counts(responses[1])
    plain = answers(client, auth_headers, "plain", ["accelerometer"])
    packed = answers(client, auth_headers, "packed", ["accelerometer"])
    for key in ("pull", "pages", "detail", "ndjson", "csv", "parquet"):
        assert exact(packed[key]) == exact(plain[key]), key
    compact(app, "packed", chunk_samples=8)
    again = answers(client, auth_headers, "packed", ["accelerometer"])
    for key in ("pull", "pages", "detail", "ndjson", "csv", "parquet"):
        assert exact(again[key]) == exact(plain[key]), key


def _counts(response: dict) -> dict:
    return {
        k: v
        for k, v in response.items()
        if k not in ("session_id", "server_timestamp", "sync_log_id")
    }


def test_deleting_a_compacted_session_deletes_its_chunks(app, client, auth_headers):
    push(client, auth_headers, push_body("s", samples(30)))
    compact(app, "s", chunk_samples=8)
    assert client.delete("/api/sessions/s", headers=auth_headers).status_code == 200
    assert stored_counts(app) == (0, 0)


def test_compacting_twice_and_an_unknown_session_do_nothing(app, client, auth_headers):
    push(client, auth_headers, push_body("s", samples(30)))
    compact(app, "s")
    compact(app, "s")
    assert stored_counts(app) == (0, 30)
    with app.app_context():
        from app.recordings.samples.compaction import compact_session

        assert compact_session(10**6).samples == 0


@pytest.mark.postgres
def test_compaction_steps_aside_while_a_reader_holds_the_session(app, client, auth_headers):
    from sqlalchemy import text

    from app.recordings.samples.compaction import compact_step

    push(client, auth_headers, push_body("s", samples(10)))
    with app.app_context():
        pk = session_pk("s")
        with db.engine.connect() as reader:
            reader.execute(
                text("SELECT pg_advisory_xact_lock_shared(:ns, :s)"),
                {"ns": 0x4B53, "s": pk},
            )
            assert compact_step(pk) is None
            reader.rollback()
        assert compact_step(pk) == 10
        db.session.remove()
    assert stored_counts(app) == (0, 10)


def test_statistics_counts_and_retention_see_chunks(app, client, register):
    from datetime import UTC, datetime, timedelta

    from app.housekeeping.retention import delete_old_sensor_data, expired_sessions_query
    from app.models import RecordingSession

    account = register()
    body = push_body("s", _mixed(), end_time="2025-11-14T00:00:00Z", is_uploaded=True)
    push(client, account.headers, body)
    window = (datetime(2020, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC))
    with app.app_context():
        before = frames.sensor_counts(account.user["id"], *window)
        db.session.remove()
    compact(app, "s", chunk_samples=9)
    with app.app_context():
        assert frames.sensor_counts(account.user["id"], *window) == before
        cutoff = datetime.now(UTC) + timedelta(days=1)
        assert db.session.scalars(expired_sessions_query(cutoff)).all() == [session_pk("s")]
        db.session.query(RecordingSession).update({"end_time": datetime(2020, 1, 1, tzinfo=UTC)})
        db.session.commit()
        assert delete_old_sensor_data(30)["samples_deleted"] == 70
        db.session.remove()
    assert stored_counts(app) == (0, 0)
