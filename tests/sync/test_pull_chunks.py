"""Pull with data writes compacted samples from the chunks' columns (app/recordings/chunk_json.py)
and rows as stored: the same random samples pull the same, value for value, from rows, from
chunks and from both mixed — a full pull and a delta pull (docs/storage.md)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import numpy as np
import pytest

from app.extensions import db
from app.recordings.samples.chunks import ChunkInfo
from app.recordings.samples.compaction import compact_step
from app.recordings.samples.merging import runs
from tests.payloads import BASE_TS, push_body, sample
from tests.recordings.store_readers import compact, pulled, session_pk, stored_counts
from tests.sync.helpers import pull, push

TYPES = ("accelerometer", "gps", "light")


def exact(value) -> str:
    """Tells 5 from 5.0 and every float from any other; keys sorted, as rows (JSONB on
    PostgreSQL) and chunks (typed fields first) may order them differently."""
    return json.dumps(value, sort_keys=True)


def random_data(rng: random.Random) -> dict:
    """A sample's data as a phone might send it: some fields missing, float32 sensor values,
    float64 ones, ints beyond 2**53 and beyond int64 (a push reads ints up to 2**64 - 1),
    int/float mixes, strings, booleans, nulls and nested values (no integral floats of 1e16
    and more, no -0.0: JSONB writes those as ints)."""
    data = {}
    if rng.random() < 0.9:
        data["x"] = float(np.float32(rng.gauss(0, 3)))
    if rng.random() < 0.9:
        data["y"] = float(np.float32(rng.gauss(9.8, 0.1)))
    if rng.random() < 0.8:
        data["lat"] = rng.uniform(-90, 90)
    if rng.random() < 0.7:
        data["n"] = rng.choice([rng.randint(-1000, 1000), 2**53 + rng.randint(1, 99), 2**63 - 1])
    if rng.random() < 0.5:
        data["mix"] = rng.choice([5, 2.5, 7, 0.125, 1e-07 * rng.random() + 1e-09])
    roll = rng.random()
    if roll < 0.1:
        data["big"] = 2**64 - 1 - rng.randint(0, 10)  # beyond int64: in the rest
    elif roll < 0.2:
        data["label"] = rng.choice(['a,"b"', "é✓", "}{", "line\nbreak", ""])
    elif roll < 0.3:
        data["flag"] = rng.random() < 0.5
    elif roll < 0.35:
        data["nested"] = {"k": [1, 2.5, None, {"deep": "v"}], "e": {}}
    elif roll < 0.4:
        data["x"] = None
    return data


def random_samples(rng: random.Random, count: int, start: int = BASE_TS) -> list[dict]:
    return [
        {"sensor_type": rng.choice(TYPES), "timestamp": start + 10 * i, "data": random_data(rng)}
        for i in range(count)
    ]


def assert_same(after: list, before: list) -> None:
    assert [(s["sensor_type"], s["timestamp"]) for s in after] == [
        (s["sensor_type"], s["timestamp"]) for s in before
    ]
    assert [exact(s) for s in after] == [exact(s) for s in before]


@pytest.mark.parametrize("seed", [1, 2])
def test_random_samples_pull_the_same_from_chunks_as_from_rows(app, client, auth_headers, seed):
    rng = random.Random(seed)
    pushed = random_samples(rng, 300)
    push(client, auth_headers, push_body("s", pushed))
    before = pulled(client, auth_headers, "s")
    assert len(before) == 300
    by_key = {(s["sensor_type"], s["timestamp"]): s["data"] for s in pushed}
    assert [exact(s["data"]) for s in before] == [
        exact(by_key[s["sensor_type"], s["timestamp"]]) for s in before
    ]

    with app.app_context():
        compact_step(session_pk("s"), step_rows=120, chunk_samples=17)
        db.session.remove()
    assert stored_counts(app) == (180, 120)  # rows after the chunks
    assert_same(pulled(client, auth_headers, "s"), before)

    compact(app, "s", chunk_samples=23)
    assert stored_counts(app) == (0, 300)
    assert_same(pulled(client, auth_headers, "s"), before)


def test_a_delta_pull_sends_the_same_changed_samples_from_chunks(app, client, auth_headers):
    rng = random.Random(3)
    pushed = random_samples(rng, 200)
    push(client, auth_headers, push_body("s", pushed))
    compact(app, "s", chunk_samples=30)
    mark = pull(client, auth_headers)["server_timestamp"]
    # After the mark: changes inside chunks (they unfold), samples in a gap before the first
    # chunk and after the last (they stay rows beside the chunks).
    later = random_samples(rng, 200)[::9]
    later += random_samples(rng, 5, start=BASE_TS - 1000)
    later += random_samples(rng, 5, start=BASE_TS + 10 * 200 + 5)
    push(client, auth_headers, push_body("s", later))
    delta = pulled(client, auth_headers, "s", last_sync_time=mark)
    assert len(delta) == len(later)
    assert {(s["sensor_type"], s["timestamp"]) for s in delta} == {
        (s["sensor_type"], s["timestamp"]) for s in later
    }
    full = pulled(client, auth_headers, "s")

    compact(app, "s", chunk_samples=30)
    keys = {(s["sensor_type"], s["timestamp"]) for s in pushed + later}
    assert stored_counts(app) == (0, len(keys))
    assert_same(pulled(client, auth_headers, "s", last_sync_time=mark), delta)
    assert_same(pulled(client, auth_headers, "s"), full)


def test_rows_before_between_and_after_chunks_keep_their_order(app, client, auth_headers):
    rng = random.Random(4)
    first = [sample(BASE_TS + 10 * i, "light", **random_data(rng)) for i in range(20)]
    second = [sample(BASE_TS + 10_000 + 10 * i, "light", **random_data(rng)) for i in range(20)]
    push(client, auth_headers, push_body("s", first + second))
    compact(app, "s", chunk_samples=20)  # two chunks with a gap between them
    gaps = [BASE_TS - 50, BASE_TS - 40, BASE_TS + 5_000, BASE_TS + 5_010, BASE_TS + 99_000]
    for ts in gaps:  # one at a time: a batch spanning a chunk would unfold it
        push(client, auth_headers, push_body("s", [sample(ts, "light", v=0.5)]))
    assert stored_counts(app) == (5, 40)
    timestamps = [s["timestamp"] for s in pulled(client, auth_headers, "s")]
    assert timestamps == sorted(timestamps) and len(timestamps) == 45


def _chunk(first: int, last: int) -> ChunkInfo:
    return ChunkInfo(first, 1, first, last, last - first + 1, datetime.now(UTC), {})


def test_runs_put_chunks_between_the_rows_around_them():
    rows = [[(1,), (2,), (10,)], [(11,), (30,)], [(31,)]]
    chunks = [_chunk(3, 9), _chunk(12, 20), _chunk(21, 29), _chunk(40, 50)]
    order = [
        run.first_timestamp if isinstance(run, ChunkInfo) else [r[0] for r in run]
        for run in runs(rows, chunks)
    ]
    assert order == [[1, 2], 3, [10], [11], 12, 21, [30], [31], 40]
    assert list(runs([], chunks)) == chunks
    assert [list(run) for run in runs(rows, [])] == rows
