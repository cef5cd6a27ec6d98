"""Append-only batches go straight into chunks: the same answers and counts as rows, late
writes unfold them, compaction merges the small ones (docs/storage.md#appended-batches)."""

from __future__ import annotations

import json

import pytest

from app.clock import utcnow
from app.extensions import db
from app.models import SampleChunk, SensorData
from app.recordings.samples.compaction import sessions_to_compact
from tests.payloads import push_body, sample, samples
from tests.recordings.store_readers import answers, compact, session_pk
from tests.sync.helpers import push

TYPES = ["accelerometer", "gps"]


def exact(value) -> str:
    return json.dumps(value, sort_keys=True)


@pytest.fixture
def appends_of_five(app):
    app.config["APPEND_CHUNK_MIN_SAMPLES"] = 5  # the shared app's settings are reset after


def _layout(app, session_id: str = "s") -> tuple[list[tuple[int, int, int]], int]:
    """([(first, last, count) of each chunk], rows) of one session."""
    with app.app_context():
        pk = session_pk(session_id)
        chunks = (
            db.session.query(
                SampleChunk.first_timestamp, SampleChunk.last_timestamp, SampleChunk.sample_count
            )
            .filter_by(recording_session_id=pk)
            .order_by(SampleChunk.sensor_type_id, SampleChunk.first_timestamp)
            .all()
        )
        rows = db.session.query(SensorData).filter_by(recording_session_id=pk).count()
        db.session.remove()
    return [tuple(chunk) for chunk in chunks], rows


def _counts(body: dict) -> tuple[int, int, int]:
    return body["inserted"], body["updated"], body["duplicates"]


def test_an_append_only_group_becomes_a_chunk_and_small_groups_stay_rows(
    app, client, auth_headers, appends_of_five
):
    first = samples(20) + samples(3, "gps", step=1000)
    body = push(client, auth_headers, push_body("s", first))
    assert _counts(body) == (23, 0, 0)
    chunks, rows = _layout(app)
    assert chunks == [(first[0]["timestamp"], first[19]["timestamp"], 20)] and rows == 3

    later = samples(10, start=first[19]["timestamp"] + 10)
    assert _counts(push(client, auth_headers, push_body("s", later))) == (10, 0, 0)
    assert len(_layout(app)[0]) == 2
    # A replay of an appended batch finds its samples in the chunk: duplicates, nothing moves.
    before = _layout(app)
    assert _counts(push(client, auth_headers, push_body("s", later))) == (0, 0, 10)
    assert _layout(app) == before and len(before[0]) == 2
    # A replay with one value changed is a late write: the chunk goes back to rows.
    changed = [*later[:-1], dict(later[-1], data={"x": 7.5})]
    assert _counts(push(client, auth_headers, push_body("s", changed))) == (0, 1, 9)
    chunks, rows = _layout(app)
    assert len(chunks) == 1 and rows == 13
    detail = client.get("/api/sessions/s", headers=auth_headers).json
    assert detail["data_count"] == 33


def test_appended_chunks_answer_like_rows(app, client, auth_headers, appends_of_five):
    odd = [
        sample(1_699_876_600_000 + i, "gps", **data)
        for i, data in enumerate(
            [
                {"lat": 37.5665, "lon": 126.978, "n": 5, "label": 'a,"b"'},
                {"lat": -0.0, "n": 2**63 - 1, "flag": True, "nest": {"k": [1, 2.0]}},
                {"lon": 1e-300, "n": -(2**63), "z": None},
                {},
            ]
        )
    ]
    batch = samples(40) + odd
    push(client, auth_headers, push_body("s", batch))
    chunks, rows = _layout(app)
    assert len(chunks) == 1 and rows == len(odd)  # too few GPS fixes for a chunk of their own
    app.config["APPEND_CHUNK_MIN_SAMPLES"] = 0
    push(client, auth_headers, push_body("rows", batch))
    assert _layout(app, "rows")[0] == []
    chunked = answers(client, auth_headers, "s", TYPES)
    in_rows = answers(client, auth_headers, "rows", TYPES)
    for key in chunked:
        assert exact(chunked[key]) == exact(in_rows[key]).replace('"rows"', '"s"'), key


def test_a_late_write_into_an_appended_chunk_unfolds_it(app, client, auth_headers, appends_of_five):
    push(client, auth_headers, push_body("s", samples(20)))
    changed = [dict(s, data={"x": 9.5}) for s in samples(20)[5:8]]
    body = push(client, auth_headers, push_body("s", changed))
    assert _counts(body) == (0, 3, 0)
    chunks, rows = _layout(app)
    assert chunks == [] and rows == 20
    data = client.get("/api/sessions/s/data?limit=100", headers=auth_headers).json["samples"]
    assert [s["data"] for s in data[5:8]] == [{"x": 9.5}] * 3


def test_compaction_merges_small_chunks_and_the_sweep_finds_them(
    app, client, auth_headers, appends_of_five
):
    batches = [samples(6, start=1_699_876_800_000 + i * 1000) for i in range(5)]
    for batch in batches:
        push(client, auth_headers, push_body("s", batch))
    push(client, auth_headers, push_body("s", [], end_time="2025-11-14T00:00:00Z"))
    before = answers(client, auth_headers, "s", ["accelerometer"])
    assert len(_layout(app)[0]) == 5
    with app.app_context():
        assert sessions_to_compact(utcnow()) == [session_pk("s")]
    compact(app, "s", chunk_samples=100)
    chunks, rows = _layout(app)
    assert [count for _, _, count in chunks] == [30] and rows == 0
    after = answers(client, auth_headers, "s", ["accelerometer"])
    for key in before:
        assert exact(after[key]) == exact(before[key]), key
