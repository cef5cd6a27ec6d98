"""The import task body: same counts as a push, resumable, never counted twice, capped."""

from __future__ import annotations

import random

import orjson
import pytest
from sqlalchemy import select, text, update

from app.extensions import db
from app.models import Upload
from app.recordings import batches as push_module  # the import stores chunks through store_batch
from app.uploads import chunks
from app.uploads.importer import ImportSettings, run_import
from tests.payloads import END, START, T0, xyz
from tests.tasks.data import push_in_batches, session_pk
from tests.uploads.files import gz, meta, ndjson, post_upload


def _upload(client, headers, content: bytes, session_id="upl", **fields) -> int:
    response = post_upload(client, headers, content, session=meta(session_id, **fields))
    assert response.status_code == 202, response.json
    return response.json["upload_id"]


def _run(app, upload_id: int, **settings) -> dict:
    with app.app_context():
        return run_import(upload_id, ImportSettings(**settings))


def _counts(app, upload_id: int) -> dict:
    with app.app_context():
        upload = db.session.get(Upload, upload_id)
        keys = ("state", "lines_processed", "total_records", "inserted", "updated")
        keys += ("duplicates", "errors", "attempts")
        return {key: getattr(upload, key) for key in keys}


def _stored(app, pk: int) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            text(
                "SELECT sensor_type_id, timestamp, data FROM sensor_data"
                " WHERE recording_session_id = :s ORDER BY sensor_type_id, timestamp"
            ),
            {"s": pk},
        ).all()


def _recording(lines: int, seed: int = 7, lookback: int = 5000) -> list:
    """Samples with everything a long recording holds: repeats with equal and changed data
    (inside a chunk and across chunks), invalid samples and malformed lines."""
    rng = random.Random(seed)
    out: list = []
    for i in range(lines):
        roll = rng.random()
        if roll < 0.0005:
            out.append(b'{"sensor_type": "gps", "timestamp": ')  # truncated line
        elif roll < 0.001:
            out.append({"sensor_type": "Bad Type", "timestamp": T0 + i, "data": {}})
        elif roll < 0.01 and out and isinstance(out[-1], dict):
            previous = out[-1]
            data = previous["data"] if roll < 0.005 else {"x": rng.random()}
            out.append(previous | {"data": data})  # same key again inside the chunk
        elif roll < 0.02 and i > lookback * 1.2:
            back = out[i - rng.randint(lookback, int(lookback * 1.2))]  # an earlier chunk
            out.append(back if roll < 0.015 else back | {"data": {"x": -1.0}})
        else:
            sensor = "accelerometer" if i % 2 else "gyroscope"
            out.append(
                {
                    "sensor_type": sensor,
                    "timestamp": T0 + 5 * i,
                    "data": {"x": round(rng.random(), 4), "y": 0.1, "z": 9.8},
                }
            )
    return out


@pytest.mark.parametrize(
    ("lines", "chunk"),
    [
        pytest.param(200_000, 5000, marks=pytest.mark.slow, id="200k"),
        pytest.param(3_000, 500, id="3k"),
    ],
)
def test_a_gzip_upload_counts_exactly_like_pushing_it(app, client, register, lines, chunk):
    account = register()
    user, headers = account.user, account.headers
    samples = _recording(lines, lookback=chunk)
    upload_id = _upload(client, headers, gz(ndjson(samples)), "imported")

    outcome = _run(app, upload_id, chunk_samples=chunk)

    pushed = [s if isinstance(s, dict) else "malformed line" for s in samples]
    expected = push_in_batches(
        client, headers, "pushed", pushed, chunk, start_time=START, end_time=END
    )
    counts = _counts(app, upload_id)
    assert outcome["outcome"] == "done" and counts["state"] == "success"
    assert {k: counts[k] for k in expected if k != "total_records"} == {
        k: v for k, v in expected.items() if k != "total_records"
    }
    assert counts["total_records"] == expected["total_records"] == lines
    assert counts["updated"] > 0 and counts["duplicates"] > 0 and counts["errors"] > 0
    imported_pk = session_pk(app, user["id"], "imported")
    pushed_pk = session_pk(app, user["id"], "pushed")
    assert _stored(app, imported_pk) == _stored(app, pushed_pk)


def test_an_import_interrupted_mid_way_resumes_without_counting_twice(
    app, client, register, monkeypatch
):
    headers = register().headers
    samples = _recording(2_000, seed=3, lookback=300)
    reference = _upload(client, headers, ndjson(samples), "reference")
    _run(app, reference, chunk_samples=300)
    crashed = _upload(client, headers, ndjson(samples), "crashed")
    real_upsert, calls = push_module.upsert_samples, []

    def crash_on_the_fourth_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("worker died")
        return real_upsert(*args, **kwargs)

    monkeypatch.setattr(push_module, "upsert_samples", crash_on_the_fourth_chunk)
    with pytest.raises(RuntimeError):
        _run(app, crashed, chunk_samples=300)
    assert _counts(app, crashed)["lines_processed"] == 900  # three chunks committed

    monkeypatch.setattr(push_module, "upsert_samples", real_upsert)
    _run(app, crashed, chunk_samples=300)

    done, ref = _counts(app, crashed), _counts(app, reference)
    assert done | {"attempts": 0} == ref | {"attempts": 0}
    assert done["state"] == "success"


def test_a_long_import_continues_in_steps_with_the_same_counts(app, client, register):
    headers = register().headers
    samples = _recording(1_500, seed=5, lookback=200)
    whole = _upload(client, headers, ndjson(samples), "whole")
    stepped = _upload(client, headers, ndjson(samples), "stepped")
    _run(app, whole, chunk_samples=200)

    outcomes = []
    while not outcomes or outcomes[-1] == "continue":
        outcomes.append(_run(app, stepped, chunk_samples=200, time_budget_s=0)["outcome"])

    assert outcomes == ["continue"] * 8 + ["done"]
    assert _counts(app, stepped) | {"attempts": 0} == _counts(app, whole) | {"attempts": 0}


def test_running_a_finished_import_again_changes_nothing(app, client, register):
    headers = register().headers
    upload_id = _upload(client, headers, ndjson(xyz("gyroscope", 40)))
    _run(app, upload_id)
    before = _counts(app, upload_id)

    assert _run(app, upload_id)["outcome"] == "skipped"
    assert _counts(app, upload_id) == before


def test_a_chunk_from_a_stale_checkpoint_is_not_applied(app, client, register):
    headers = register().headers
    upload_id = _upload(client, headers, ndjson(xyz("gyroscope", 10)))
    with app.app_context():
        db.session.execute(update(Upload).values(state="running", lines_processed=5))
        db.session.commit()
        upload = db.session.get(Upload, upload_id)
        job = chunks.ImportJob(
            upload.id, upload.user_id, None, "ndjson", False, chunks.SessionIn(**meta())
        )
        record = chunks.readers.Record(3, xyz("gyroscope", 1)[0])
        assert chunks.apply_chunk(job, [record], 0, 100) is False
        assert db.session.get(Upload, upload_id).inserted == 0


def test_a_file_that_inflates_beyond_the_cap_fails_without_storing(app, client, register):
    account = register()
    user, headers = account.user, account.headers
    content = gz(ndjson(xyz("gyroscope", 2000)))
    upload_id = _upload(client, headers, content)

    outcome = _run(app, upload_id, max_bytes=50_000)

    assert outcome["outcome"] == "failed"
    with app.app_context():
        upload = db.session.get(Upload, upload_id)
        assert upload.state == "failed" and "too large" in upload.error_message
        assert upload.inserted == 0 and upload.recording_session_id is None
    assert session_pk(app, user["id"], "upl") is None


def test_an_import_that_keeps_failing_without_progress_is_given_up(app, client, register):
    headers = register().headers
    upload_id = _upload(client, headers, ndjson(xyz("gyroscope", 10)))
    with app.app_context():
        db.session.execute(update(Upload).values(attempts=5))
        db.session.commit()

    assert _run(app, upload_id, max_attempts=5)["outcome"] == "failed"
    assert _counts(app, upload_id)["state"] == "failed"


def test_an_overlong_line_is_an_error_not_a_crash(app, client, register):
    headers = register().headers
    long_line = orjson.dumps({"sensor_type": "x", "timestamp": T0, "data": {"s": "a" * 5000}})
    upload_id = _upload(client, headers, ndjson([long_line, *xyz("gyroscope", 3)]))

    _run(app, upload_id, max_line=1000)

    counts = _counts(app, upload_id)
    assert (counts["inserted"], counts["errors"], counts["state"]) == (3, 1, "success")
    with app.app_context():
        details = db.session.scalar(select(Upload.error_details))
    assert details == [{"line": 1, "error": "line longer than 1000 bytes"}]
