"""Files built to hurt the import: endless integers, endless rows, decompression bombs.

Each is an error on its line or a failed upload with a reason — never a crashed task that
leaves the upload `running`, never unbounded memory, never minutes of work for a small file.
"""

from __future__ import annotations

import gzip
import tracemalloc

import orjson
import pytest

from app.extensions import db
from app.models import Upload
from app.uploads import readers
from app.uploads.importer import ImportSettings, run_import
from tests.payloads import T0, xyz
from tests.uploads.files import csv_file, meta, ndjson, post_upload

HUGE = "9" * 5000  # more digits than Python's int() accepts (4,300)


def _upload(client, headers, content: bytes, filename: str, session_id="upl") -> int:
    response = post_upload(client, headers, content, filename, session=meta(session_id))
    assert response.status_code == 202, response.json
    return response.json["upload_id"]


def _import(app, upload_id: int, settings: ImportSettings | None = None) -> dict:
    with app.app_context():
        return run_import(upload_id, settings or ImportSettings.from_config(app.config))


def _shown(client, headers, upload_id: int) -> dict:
    return client.get(f"/api/uploads/{upload_id}", headers=headers).json


def _pulled(client, headers, session_id: str) -> dict:
    body = client.post("/api/sync/pull", json={"session_ids": [session_id]}, headers=headers).json
    (session,) = body["sessions"]
    return {(s["sensor_type"], s["timestamp"]): s["data"] for s in session["sensor_data"]}


def test_a_csv_cell_of_thousands_of_digits_is_a_line_error(app, client, register):
    headers = register().headers
    rows = [
        f"gyroscope,{T0},1,2,3",
        f"gyroscope,{HUGE},1,2,3",
        f"gyroscope,{T0 + 10},{HUGE},2,3",
        f"gyroscope,{T0 + 20},-{HUGE},2,3",
        f"gyroscope,{T0 + 30},4,5,6",
    ]
    upload_id = _upload(client, headers, csv_file(rows), "rec.csv")

    outcome = _import(app, upload_id)

    shown = _shown(client, headers, upload_id)
    assert outcome["outcome"] == "done" and shown["state"] == "success"
    assert (shown["inserted"], shown["errors"]) == (2, 3)
    assert [e["line"] for e in shown["error_details"]] == [2, 3, 4]
    assert "timestamp" in shown["error_details"][0]["error"]
    assert "finite" in shown["error_details"][1]["error"]
    assert set(_pulled(client, headers, "upl")) == {("gyroscope", T0), ("gyroscope", T0 + 30)}


def test_an_ndjson_line_with_thousands_of_digits_is_a_line_error(app, client, register):
    headers = register().headers
    lines = [
        b'{"sensor_type": "gyroscope", "timestamp": %d, "data": {"x": %s}}' % (T0, HUGE.encode()),
        b'{"sensor_type": "gyroscope", "timestamp": %s, "data": {"x": 1}}' % HUGE.encode(),
        *xyz("gyroscope", 2, start=T0 + 100),
    ]
    upload_id = _upload(client, headers, ndjson(lines), "rec.ndjson")

    _import(app, upload_id)

    shown = _shown(client, headers, upload_id)
    assert (shown["state"], shown["inserted"], shown["errors"]) == ("success", 2, 2)
    assert [e["line"] for e in shown["error_details"]] == [1, 2]


def test_integers_beyond_64_bits_are_read_as_a_push_reads_them(app, client, register):
    headers = register().headers
    big = 10**30
    upload_id = _upload(client, headers, csv_file([f"gyroscope,{T0},{big},0,1"]), "r.csv")
    _import(app, upload_id)
    client.post(
        "/api/sync/push",
        data=b'{"session": {"session_id": "pushed", "start_time": "2025-11-13T02:13:20Z"},'
        b' "sensor_data": [{"sensor_type": "gyroscope", "timestamp": %d,'
        b' "data": {"x": %d, "y": 0, "z": 1}}]}' % (T0, big),
        headers=headers,
        content_type="application/json",
    )

    assert _pulled(client, headers, "upl") == _pulled(client, headers, "pushed")
    assert _pulled(client, headers, "upl")[("gyroscope", T0)] == {"x": 1e30, "y": 0, "z": 1}


def test_a_csv_row_of_millions_of_fields_is_a_line_error_in_bounded_memory(app, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_bytes(
        b"sensor_type,timestamp,x\n" + b"," * 4_000_000 + b"\n" + b"gyroscope,%d,1\n" % T0
    )

    tracemalloc.start()
    found = list(readers.records(path, readers.CSV, False, max_bytes=10**8, max_line=1 << 20))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert [(r.number, r.error) for r in found] == [
        (1, "line longer than 1048576 bytes"),
        (2, None),
    ]
    # A row split into its 4 million fields would hold 32 MB of references alone.
    assert peak < 8 * 1024 * 1024, peak


def _bomb(decoded_bytes: int) -> bytes:
    """A valid CSV header, then blank lines: each costs the reader a loop, gzip ~1/1000 byte."""
    return gzip.compress(b"sensor_type,timestamp,x\n" + b"\n" * decoded_bytes, 9)


def test_a_gzip_bomb_is_refused_by_the_compression_ratio_cap(app, client, register):
    headers = register().headers
    content = _bomb(40_000_000)
    upload_id = _upload(client, headers, content, "bomb.csv.gz")

    outcome = _import(app, upload_id)

    shown = _shown(client, headers, upload_id)
    assert outcome["outcome"] == "failed" and shown["state"] == "failed"
    ratio = app.config["MAX_UPLOAD_COMPRESSION_RATIO"]
    assert f"exceeds {ratio * len(content)} bytes" in shown["error_message"]
    assert f"at most {ratio} times its compressed size" in shown["error_message"]
    # Refused by the first pass over the file, which counts lines: nothing was read as rows.
    assert shown["lines_total"] is None and shown["lines_processed"] == 0
    with app.app_context():
        assert db.session.get(Upload, upload_id).recording_session_id is None


@pytest.mark.parametrize("fields", [3, 64])
def test_a_recording_that_compresses_very_well_is_not_taken_for_a_bomb(
    app, client, register, fields
):
    """Constant readings with only the timestamp changing: the most compressible real data."""
    headers = register().headers
    samples = [
        {
            "sensor_type": "environment",
            "timestamp": T0 + 10 * i,
            "data": {f"f{k}": 0 for k in range(fields)},
        }
        for i in range(20_000)
    ]
    raw = b"\n".join(orjson.dumps(s) for s in samples) + b"\n"
    content = gzip.compress(raw, 9)
    assert len(raw) / len(content) > 30  # far more than noisy sensor data (3-4x)
    upload_id = _upload(client, headers, content, "still.ndjson.gz")

    _import(app, upload_id)

    shown = _shown(client, headers, upload_id)
    assert (shown["state"], shown["inserted"], shown["errors"]) == ("success", 20_000, 0)


def test_a_file_of_mostly_invalid_lines_is_stopped_early(app, client, register):
    headers = register().headers
    rows = [f"gyroscope,{T0},1,2,3", *(["a"] * 30_000), f"gyroscope,{T0 + 10},1,2,3"]
    upload_id = _upload(client, headers, csv_file(rows), "junk.csv")
    settings = ImportSettings(chunk_samples=500, max_invalid_lines=1000)

    outcome = _import(app, upload_id, settings)

    shown = _shown(client, headers, upload_id)
    assert outcome["outcome"] == "failed" and shown["state"] == "failed"
    assert (
        "Stopped after 1499 invalid, blank or repeated lines of the first 1500"
        in shown["error_message"]
    )
    assert shown["lines_processed"] == 1500 and shown["inserted"] == 1


def test_a_file_of_mostly_blank_lines_is_stopped_early(app, client, register):
    headers = register().headers
    rows = [line for i in range(3000) for line in ("", "", "", f"gyroscope,{T0 + i},1,2,3")]
    upload_id = _upload(client, headers, csv_file(rows), "airy.csv")

    _import(app, upload_id, ImportSettings(chunk_samples=500, max_invalid_lines=1000))

    shown = _shown(client, headers, upload_id)
    assert shown["state"] == "failed" and shown["errors"] == 0
    assert (
        "Stopped after 1500 invalid, blank or repeated lines of the first 2000"
        in shown["error_message"]
    )


def test_a_file_with_some_invalid_lines_is_imported_whole(app, client, register):
    headers = register().headers
    rows = [f"gyroscope,{T0 + 10 * i},1,2,3" if i % 5 < 3 else "a" for i in range(5000)]
    upload_id = _upload(client, headers, csv_file(rows), "patchy.csv")

    _import(app, upload_id, ImportSettings(chunk_samples=500, max_invalid_lines=100))

    shown = _shown(client, headers, upload_id)
    assert (shown["state"], shown["inserted"], shown["errors"]) == ("success", 3000, 2000)


def test_lines_are_numbered_and_capped_across_read_blocks(tmp_path):
    long_line = b'{"s": "' + b"x" * 300_000 + b'"}'  # spans the reader's blocks
    content = b"".join(
        [b"{}\r\n", b"\n" * 3, b"   \n", long_line + b"\n", b"\n", long_line + b"x" * 900_000]
    )
    path = tmp_path / "lines.ndjson"
    path.write_bytes(content + b"\n" + b'{"last": 1}')

    def read(max_line: int) -> list[tuple[int, object]]:
        found = readers.records(path, readers.NDJSON, False, max_bytes=10**8, max_line=max_line)
        return [(r.number, r.error or len(r.value)) for r in found]

    assert read(2_000_000) == [(1, 3), (6, len(long_line)), (8, len(long_line) + 900_000), (9, 11)]
    too_long = "line longer than 500000 bytes"
    assert read(500_000) == [(1, 3), (6, len(long_line)), (8, too_long), (9, 11)]


def test_a_file_of_one_row_repeated_is_stopped_early(app, client, register):
    """Repeats are valid duplicates, so they are not errors, but a recording has none: a
    file of them compresses far under the ratio cap and would cost the worker for nothing."""
    headers = register().headers
    rows = [
        f"gyroscope,{T0 + i},1,2,3" if i % 20 == 0 else f"gyroscope,{T0},1,2,3"
        for i in range(30_000)
    ]
    upload_id = _upload(client, headers, csv_file(rows), "loop.csv")

    _import(app, upload_id, ImportSettings(chunk_samples=500, max_invalid_lines=1000))

    shown = _shown(client, headers, upload_id)
    assert shown["state"] == "failed" and shown["errors"] == 0
    assert "repeated lines of the first 1500" in shown["error_message"]


def test_chunks_of_long_lines_are_cut_by_their_bytes(app, client, register):
    headers = register().headers
    lines = [
        {"sensor_type": "note", "timestamp": T0 + i, "data": {"text": f"{i}" + "x" * 20_000}}
        for i in range(40)
    ]
    upload_id = _upload(client, headers, ndjson(lines), "long.ndjson")
    settings = ImportSettings(chunk_samples=5000, chunk_bytes=100_000, time_budget_s=0)

    steps = 0
    while _import(app, upload_id, settings)["outcome"] == "continue":
        steps += 1

    shown = _shown(client, headers, upload_id)
    assert (shown["state"], shown["inserted"]) == ("success", 40)
    assert steps == 8  # 8 chunks of 5 lines of 20 kB (100 kB), one per run; a 9th finishes
