"""The column writers of the exports (app/sessions/exports/columnar.py) write what the
per-sample writers write: the same CSV text and the same Parquet rows, for samples in chunks,
in rows, and both mixed."""

from __future__ import annotations

import csv
import io
import json
import math
import random
import struct
from datetime import UTC, datetime

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.recordings.chunk_codec import encode_chunk, iter_samples
from app.recordings.samples.chunks import ChunkInfo, data_text
from app.recordings.samples.columns import ColumnBatch, payload_batches
from app.recordings.samples.merging import runs
from app.recordings.samples.sensor_types import session_sensor_types
from app.recordings.samples.summary import key_kinds
from app.sessions.exports import columnar
from app.sessions.exports.cells import cell
from app.sessions.exports.fields import Field
from app.sessions.exports.writers import _csv_writer, _parquet_value, parquet_schema
from tests.payloads import push_body
from tests.recordings.store_readers import compact, session_pk, stored_counts
from tests.sync.helpers import push

EDGE_FLOATS = [
    0.0,
    -0.0,
    1.0,
    -5.0,
    0.1,
    0.1 + 0.2,
    1e-4,
    9.999999999999999e-05,
    1e-05,
    1.5e-06,
    1e-06,
    1e-07,
    2.5e-07,
    5e-324,
    2.2250738585072014e-308,
    1e9,
    999999999.9999999,
    1e10,
    123456789012.5,
    1e15,
    1e16,
    9999999999999998.0,
    1.2345678901234568e17,
    2.0**53,
    2.0**53 + 2,
    2.0**63,
    1e21,
    1e22,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    3.4028234663852886e38,
    1e100,
    1e-100,
]


def _texts(values: list[float]) -> list[str]:
    return columnar.float_text(pa.array(values, pa.float64())).to_pylist()


def test_float_text_is_repr_at_the_edges():
    values = EDGE_FLOATS + [-v for v in EDGE_FLOATS]
    assert _texts(values) == [repr(v) for v in values]


def test_float_text_is_repr_for_random_bit_patterns():
    rng = np.random.default_rng(7)
    bits = rng.integers(0, 2**64, size=200_000, dtype=np.uint64).view(np.float64)
    values = bits[np.isfinite(bits)].tolist()
    # Sensor-like values: a few decimals, every magnitude.
    scaled = (rng.normal(size=100_000) * 10.0 ** rng.integers(-12, 22, 100_000)).round(4)
    values += scaled.tolist()
    assert _texts(values) == [repr(v) for v in values]


def test_float_text_keeps_nulls_and_reads_float32():
    assert columnar.float_text(pa.array([1.5, None, 2.0])).to_pylist() == ["1.5", None, "2.0"]
    narrow = pa.array([0.1, 1.0], pa.float32())
    assert columnar.float_text(narrow).to_pylist() == [repr(v) for v in narrow.to_pylist()]


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=50))
def test_float_text_is_repr_for_any_float(values):
    assert _texts(values) == [repr(v) for v in values]


# --- one chunk: column writers against the per-sample writers -------------------------------

SCALARS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([0, 5, 5.0, -0.0, 2**53 + 1, 2**63 - 1, 1e16, 1e-05]),
    st.booleans(),
    st.none(),
    st.text(max_size=6),
    st.sampled_from(["=1+2", "-x", '"q"', "a,b", "line\nbreak", "@", "é"]),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=3), SCALARS, max_size=2),
)
KEYS = st.sampled_from(["x", "y", "z", "label", "n", "timestamp", "sensor_type", "=f"])


def _reference_csv(sensor_type: str, rows: list[tuple[int, str]], fields: list[Field]) -> bytes:
    buffer = io.StringIO()
    writer = _csv_writer(buffer)
    for timestamp, data in rows:
        values = orjson.loads(data)
        writer.writerow([sensor_type, timestamp, *(cell(values.get(f.key)) for f in fields)])
    return buffer.getvalue().encode()


def _reference_parquet(sensor_type, rows, fields, schema) -> list[dict]:
    columns: dict[str, list] = {name: [] for name in schema.names}
    for timestamp, data in rows:
        values = orjson.loads(data)
        columns["sensor_type"].append(sensor_type)
        columns["timestamp"].append(timestamp)
        for f in fields:
            columns[f.column].append(_parquet_value(values.get(f.key), f.numeric))
    return pa.table(columns, schema=schema).to_pylist()


def _fields(datas: list[dict]) -> list[Field]:
    keys = sorted({key for data in datas for key in data})
    fields = []
    for key in keys:
        present = [d[key] for d in datas if d.get(key) is not None]
        numeric = all(type(v) in (int, float) for v in present)
        column = f"data.{key}" if key in ("sensor_type", "timestamp") else key
        fields.append(Field(key, column, numeric))
    return fields


def _check_chunk(datas: list[dict], start=None, end=None) -> int:
    """Compare both writers on one chunk of `datas`; how many batches were columns."""
    samples = [(1_000 + 3 * i, data) for i, data in enumerate(datas)]
    payload = encode_chunk(samples).payload
    rows = [(ts, data_text(data)) for ts, data in iter_samples(payload, start, end)]
    fields = _fields(datas)
    schema = parquet_schema(fields)
    got_csv, got_rows, columns = b"", [], 0
    for batch in payload_batches(payload, start, end):
        if isinstance(batch, ColumnBatch):
            columns += 1
            block = columnar.csv_block("acc", batch, fields)
            pieces = [columnar.csv_block("acc", p, fields) for p in batch.pieces(7)]
            assert b"".join(pieces) == block  # the writers take a batch in pieces
            got_csv += block
            got_rows += columnar.parquet_table("acc", batch, fields, schema).to_pylist()
        else:  # given as rows, as the writers then write them
            got_csv += _reference_csv("acc", batch, fields)
            got_rows += _reference_parquet("acc", batch, fields, schema)
    assert got_csv == _reference_csv("acc", rows, fields)
    assert json.dumps(got_rows) == json.dumps(_reference_parquet("acc", rows, fields, schema))
    return columns


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(KEYS, VALUES, max_size=5), min_size=1, max_size=40))
def test_column_writers_match_the_sample_writers(datas):
    _check_chunk(datas)


def _sensor_like(count: int, seed: int) -> list[dict]:
    """Mostly typed numbers, with every kind of exception sprinkled in."""
    rng = random.Random(seed)
    datas = []
    for i in range(count):
        data = {"x": rng.gauss(0, 3), "y": round(rng.uniform(-1, 1), 3), "z": 9.81, "n": i}
        roll = rng.random()
        if roll < 0.02:
            data["x"] = 5  # an int among floats: into the rest
        elif roll < 0.04:
            data["n"] = 2.5  # a float among ints
        elif roll < 0.06:
            data["label"] = rng.choice(["walk", "=cmd", 'say "hi"', "-1"])
        elif roll < 0.07:
            data["n"] = 2**63 - 1
        elif roll < 0.08:
            data["nested"] = {"a": [1, 2.0, None], "b": True}
        elif roll < 0.09:
            del data["y"]
        elif roll < 0.10:
            data["y"] = None
        elif roll < 0.11:
            data["x"] = struct.unpack("d", struct.pack("Q", rng.getrandbits(62)))[0]
        datas.append(data)
    return datas


def test_column_writers_match_over_row_groups_and_ranges():
    datas = _sensor_like(70_000, 3)  # three row groups of a chunk
    assert _check_chunk(datas) == 3
    assert _check_chunk(datas, start=1_000 + 3 * 30_000, end=1_000 + 3 * 40_000 + 1) == 2


def test_big_integers_are_written_as_the_sample_writers_write_them():
    # Beyond 64 bits the chunk's rest needs the standard library: such a row group comes as
    # rows. Within 64 bits, ints beyond 2**53 stay exact in CSV, nearest doubles in Parquet.
    assert _check_chunk([{"n": 2**64 + 1}, {"n": 5}, {"n": -(2**63)}]) == 0
    assert _check_chunk([{"n": 2**53 + 1}, {"n": 2**63 - 1, "m": 1.5}, {"m": 2**60}]) == 1


# --- through the API: rows, chunks and late rows give the same files ------------------------


def _export(client, headers, session_id: str, fmt: str) -> bytes:
    url = f"/api/sessions/{session_id}/export?format={fmt}"
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data()


def _session_samples(seed: int) -> tuple[list[dict], list[dict]]:
    """(samples compacted later, samples pushed after compaction)."""
    rng = random.Random(seed)
    early, late = [], []
    for sensor, count in (("accelerometer", 700), ("gps", 60), ("light", 40)):
        datas = _sensor_like(count, rng.randrange(1000))
        for i, data in enumerate(datas):
            sample = {"sensor_type": sensor, "timestamp": 1_700_000_000_000 + 10 * i, "data": data}
            # Late: a gap between chunks (of 150), samples after the end, and one inside the
            # first chunk's span (which unfolds that chunk into rows).
            is_late = 300 <= i < 310 or i >= count - 4 or (sensor == "accelerometer" and i == 20)
            (late if is_late else early).append(sample)
    return early, late


@pytest.mark.parametrize("seed", [1, 2])
def test_exports_from_chunks_and_late_rows_equal_exports_from_rows(
    app, client, auth_headers, monkeypatch, seed
):
    early, late = _session_samples(seed)
    push(client, auth_headers, push_body("rows", early + late))
    push(client, auth_headers, push_body("chunks", early))
    compact(app, "chunks", chunk_samples=150)
    push(client, auth_headers, push_body("chunks", late))
    # A late sample inside a chunk's span unfolds that chunk into rows; the others stay.
    rows, in_chunks = stored_counts(app)
    assert in_chunks and rows > len(early) + len(late) + 150
    written = []
    for name in ("csv_block", "parquet_table"):
        original = getattr(columnar, name)
        monkeypatch.setattr(
            columnar, name, lambda *a, _f=original, **k: written.append(len(a[1])) or _f(*a, **k)
        )
    for fmt in ("csv", "parquet"):
        from_rows = _export(client, auth_headers, "rows", fmt)
        from_chunks = _export(client, auth_headers, "chunks", fmt)
        if fmt == "csv":
            assert from_chunks == from_rows
            header = next(csv.reader(io.StringIO(from_rows.decode())))
            assert header[:2] == ["sensor_type", "timestamp"] and "label" in header
        else:
            rows = pq.read_table(io.BytesIO(from_rows))
            chunks = pq.read_table(io.BytesIO(from_chunks))
            assert chunks.schema == rows.schema
            assert json.dumps(chunks.to_pylist()) == json.dumps(rows.to_pylist())
            assert chunks.num_rows == len(early) + len(late)
    assert sum(written) == 2 * in_chunks  # every chunked sample went the column way, twice


def test_csv_cells_of_typed_numbers_are_exact(app, client, auth_headers):
    # (-0.0 is checked above: PostgreSQL's jsonb stores it as 0.)
    values = [0.1, 1e-05, 1e16, 5e-324, 2.0**53 + 2, 123.0, -2.5e-07]
    data = [
        {"sensor_type": "a", "timestamp": 1_700_000_000_000 + i, "data": {"x": v, "n": 2**62 + i}}
        for i, v in enumerate(values)
    ]
    push(client, auth_headers, push_body("exact", data))
    from_rows = _export(client, auth_headers, "exact", "csv").decode()
    compact(app, "exact")
    text = _export(client, auth_headers, "exact", "csv").decode()
    assert text == from_rows
    rows = list(csv.reader(io.StringIO(text)))[1:]
    cells = [row[3] for row in rows]
    # float64 bits round-trip; PostgreSQL's jsonb may spell a number differently, not its value
    assert [struct.pack("d", float(c)) for c in cells] == [struct.pack("d", v) for v in values]
    assert all(not math.isnan(float(c)) for c in cells)
    assert [int(row[2]) for row in rows] == [2**62 + i for i in range(len(values))]


def test_key_kinds_read_from_chunk_columns_equal_the_rows(app, client, auth_headers):
    """The Parquet export's column types come from summary.key_kinds, which reads a chunk's
    typed columns from its footer and parses only the rest."""
    early, late = _session_samples(5)
    extra = {"sensor_type": "light", "timestamp": 1_699_000_000_000, "data": {"n": "text"}}
    push(client, auth_headers, push_body("kinds", early + late + [extra]))
    keys = ["x", "y", "z", "n", "label", "nested", "absent"]

    def kinds() -> dict:
        with app.app_context():
            pk = session_pk("kinds")
            found = {
                str(type_id): key_kinds(pk, keys, type_id)
                for type_id in (None, *(t for t, _ in session_sensor_types(pk)))
            }
            db.session.remove()
            return found

    before = kinds()
    compact(app, "kinds", chunk_samples=100)
    assert stored_counts(app) == (0, len(early) + len(late) + 1)
    assert kinds() == before
    assert before["None"]["n"] >= {"string"} or before["None"]["n"] >= {"text"}


def test_parquet_gathers_small_chunks_into_row_groups(app, client, auth_headers, monkeypatch):
    early, late = _session_samples(3)
    push(client, auth_headers, push_body("small", early))
    compact(app, "small", chunk_samples=20)  # dozens of chunks, as pushes append them
    push(client, auth_headers, push_body("small", late))
    monkeypatch.setattr("app.sessions.exports.writers.ROW_GROUP", 300)
    metadata = pq.read_metadata(io.BytesIO(_export(client, auth_headers, "small", "parquet")))
    sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
    assert sum(sizes) == len(early) + len(late)
    assert all(size == 300 for size in sizes[:-1]) and sizes[-1] <= 300, sizes


def test_rows_are_cut_at_each_chunk():
    """The column reader takes one sensor type's rows (in a cursor's batches, here of 4) and
    chunks in order with merging.runs: the rows before each chunk, then the chunk."""
    stamps = (1, 2, 3, 10, 11, 12, 13, 14, 30, 40)
    batches = [[(t, "{}") for t in stamps[i : i + 4]] for i in range(0, len(stamps), 4)]
    chunks = [
        ChunkInfo(first, 1, first, first, 1, datetime.now(UTC), {}) for first in (5, 6, 20, 35)
    ]
    taken = [
        run.first_timestamp if isinstance(run, ChunkInfo) else [t for t, _ in run]
        for run in runs(batches, chunks)
    ]
    assert taken == [[1, 2, 3], 5, 6, [10], [11, 12, 13, 14], 20, [30], 35, [40]]
