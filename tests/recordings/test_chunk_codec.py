"""The chunk codec returns every sample exactly as given (pure: no database, no app).

"Exactly" is checked byte for byte: each sample's data serialised with orjson, keys sorted
(the standard library's JSON where orjson refuses a value: ints beyond 64 bits, lone
surrogates), so `5` differs from `5.0`, `-0.0` from `0.0`, `null` from a missing key, and a
float from any other float.
"""

from __future__ import annotations

import json
import math
import struct
from contextlib import contextmanager
from itertools import islice
from unittest import mock

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.recordings import chunk_layout, chunk_parquet
from app.recordings.chunk_codec import (
    decode_frame,
    decode_table,
    encode_chunk,
    iter_samples,
    merge_chunk,
    merge_samples,
)
from bench.realistic_session import one_hour

PROPERTIES = settings(
    max_examples=150,
    deadline=None,  # the machine is shared; time is the benchmarks' business
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
INT64_MAX = 2**63 - 1


def exact(value) -> bytes:
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return json.dumps(value, sort_keys=True, ensure_ascii=True).encode()


def assert_same(given: list, decoded: list) -> None:
    assert [ts for ts, _ in decoded] == [ts for ts, _ in given]
    for (_, sent), (_, back) in zip(given, decoded, strict=True):
        assert exact(back) == exact(sent)


def round_trip(samples: list) -> list:
    return list(iter_samples(encode_chunk(samples).payload))


@contextmanager
def row_groups_of(rows: int):
    """Small row groups, so that a few samples span several of them."""
    with mock.patch.object(chunk_parquet, "ROW_GROUP_ROWS", rows):
        yield


# --------------------------------------------------------------------------- strategies

EDGE_INTS = [0, -1, INT64_MAX, INT64_MAX + 1, -(2**63), -(2**63) - 1, 2**64 - 1, 2**64, 10**40]
EDGE_FLOATS = [-0.0, 0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]
numbers = st.one_of(
    st.floats(width=32, allow_nan=False, allow_infinity=False),  # float32-exact, as Android
    st.floats(allow_nan=False, allow_infinity=False),  # any float64, subnormals, -0.0
    st.integers(-(2**63), INT64_MAX),
    st.integers(),  # beyond 64 bits too
    st.sampled_from(EDGE_INTS + EDGE_FLOATS),
)
# Any code point, lone surrogates too (a JSON parser can produce them from "\ud800").
texts = st.text(st.characters(exclude_categories=()), max_size=6)
scalars = st.one_of(numbers, st.none(), st.booleans(), texts)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
# A few recurring keys, so that fields have mixed types across samples; sometimes a new one.
keys = st.sampled_from(["x", "y", "z", "", "timestamp", "rest", "ts", "c0", "é✓"]) | texts
field_values = st.one_of(numbers, numbers, json_values)
datas = st.dictionaries(keys, field_values, max_size=6)


@st.composite
def sample_lists(draw, low: int = -(2**63), high: int = INT64_MAX) -> list:
    data = draw(st.lists(datas, min_size=1, max_size=30))
    size = len(data)
    stamps = draw(st.lists(st.integers(low, high), min_size=size, max_size=size, unique=True))
    return list(zip(sorted(stamps), data, strict=True))


KINDS = {"float32": float, "float64": float, "int64": int}


def typed(kind: str, value) -> bool:
    """Whether `value` belongs in a typed column of that kind (rather than the rest)."""
    if type(value) is not KINDS[kind]:
        return False
    return kind != "int64" or -(2**63) <= value <= INT64_MAX


def as_float(value) -> float | None:
    """What the analysis table shows for a value: its number as float64, or null."""
    if type(value) not in (int, float):
        return None
    try:
        return float(value)
    except OverflowError:
        return None


# --------------------------------------------------------------------------- properties


@PROPERTIES
@given(samples=sample_lists(), rows=st.integers(1, 8))
def test_any_json_data_comes_back_exactly(samples, rows):
    with row_groups_of(rows):
        encoded = encode_chunk(samples)
    for field in encoded.meta.fields:
        event(f"a {field.kind} column")
    event("some values in the rest" if encoded.meta.rest_count else "no rest")
    assert_same(samples, list(iter_samples(encoded.payload)))


@PROPERTIES
@given(
    samples=sample_lists(), bounds=st.tuples(st.integers(), st.integers()), rows=st.integers(1, 5)
)
def test_a_time_range_returns_exactly_the_samples_in_it(samples, bounds, rows):
    start = min(bounds) if bounds[0] % 3 else None
    end = max(bounds) if bounds[1] % 3 else None
    with row_groups_of(rows):
        payload = encode_chunk(samples).payload
    inside = [
        (ts, d) for ts, d in samples if (start is None or ts >= start) and (end is None or ts < end)
    ]
    assert_same(inside, list(iter_samples(payload, start, end)))
    table = decode_table(payload, start, end)
    assert table["timestamp"].to_pylist() == [ts for ts, _ in inside]


NEAR_THE_END = 2**63 - 512  # rounds to 2**63 as a float64


@pytest.mark.parametrize(
    ("start", "end", "inside"),
    [
        (NEAR_THE_END, 2**64, True),
        (0, 2**63, True),
        (-(2**70), None, True),
        (NEAR_THE_END, NEAR_THE_END + 1, True),
        (2**63, None, False),
        (None, -(2**63), False),
        (NEAR_THE_END + 1, None, False),
    ],
)
def test_bounds_beyond_64_bits_cut_exactly(start, end, inside):
    """numpy would compare such a bound with the int64 timestamps as float64s."""
    payload = encode_chunk([(NEAR_THE_END, {"x": 1.5})]).payload
    expected = [NEAR_THE_END] if inside else []
    assert [ts for ts, _ in iter_samples(payload, start, end)] == expected
    assert decode_table(payload, start, end)["timestamp"].to_pylist() == expected


@PROPERTIES
@given(samples=sample_lists())
def test_the_analysis_table_holds_every_number_of_the_typed_fields(samples):
    encoded = encode_chunk(samples)
    table = decode_table(encoded.payload)
    typed_fields = [f.name for f in encoded.meta.fields if f.name != "timestamp"]
    assert table.column_names == ["timestamp", *typed_fields]
    for name in typed_fields:
        column, values = table[name], [data.get(name) for _, data in samples]
        if str(column.type) == "int64":  # an int field with no other values: ints as sent
            assert column.to_pylist() == [v if type(v) is int else None for v in values]
            continue
        assert str(column.type) == "double"
        for value, stored in zip(values, column.to_pylist(), strict=True):
            expected = as_float(value)
            assert (stored is None) == (expected is None)
            if expected is not None:
                assert struct.pack("<d", stored) == struct.pack("<d", expected)


@PROPERTIES
@given(samples=sample_lists())
def test_the_metadata_describes_the_chunk(samples):
    meta = encode_chunk(samples).meta
    assert (meta.count, meta.first_timestamp, meta.last_timestamp) == (
        len(samples),
        samples[0][0],
        samples[-1][0],
    )
    kinds = {f.name: f.kind for f in meta.fields}
    assert list(kinds) == sorted(kinds)
    for field in meta.fields:
        values = [d[field.name] for _, d in samples if typed(field.kind, d.get(field.name))]
        assert field.nulls == len(samples) - len(values)
        assert (field.min, field.max) == (min(values), max(values))
    untyped = [
        any(k not in kinds or not typed(kinds[k], v) for k, v in d.items()) for _, d in samples
    ]
    assert meta.rest_count == sum(untyped)
    orjson.dumps(meta.as_dict())  # fits a JSON column


@PROPERTIES
@given(
    older=sample_lists(-50, 50),
    newer=st.lists(st.tuples(st.integers(-60, 60), datas), max_size=20),
)
def test_merge_gives_the_last_write_of_every_timestamp(older, newer):
    model = dict(older)
    model.update(newer)
    expected = sorted(model.items())
    assert_same(expected, list(merge_samples(iter(older), newer)))
    merged = merge_chunk(encode_chunk(older).payload, newer)
    assert_same(expected, list(iter_samples(merged.payload)))


# --------------------------------------------------------------------------- targeted cases


def kinds_of(samples: list) -> dict[str, str]:
    return {f.name: f.kind for f in encode_chunk(samples).meta.fields}


def test_android_float32_values_are_stored_as_float32_with_their_float64_bits():
    values = [float(np.float32(v)) for v in (9.80665, -0.0011901855, 3.4028234663852886e38)]
    samples = [(i, {"x": v}) for i, v in enumerate(values)]
    assert kinds_of(samples) == {"x": "float32"}
    back = round_trip(samples)
    assert [struct.pack("<d", d["x"]) for _, d in back] == [struct.pack("<d", v) for v in values]


def test_one_value_that_float32_cannot_hold_makes_the_column_float64():
    samples = [(0, {"lat": 37.5665123}), (1, {"lat": 1.5}), (2, {"lat": 0.1})]
    assert kinds_of(samples) == {"lat": "float64"}
    assert_same(samples, round_trip(samples))


def test_negative_zero_keeps_its_sign_in_every_part_of_a_chunk():
    samples = [
        (0, {"f32": -0.0, "f64": -0.0, "i": 1, "nested": [-0.0, {"z": -0.0}]}),
        (1, {"f32": 0.0, "f64": 0.1, "i": -0.0}),  # -0.0 among ints: kept in the rest
        (2, {"i": 2}),
    ]
    assert kinds_of(samples) == {"f32": "float32", "f64": "float64", "i": "int64"}
    back = round_trip(samples)
    assert_same(samples, back)
    assert math.copysign(1, back[0][1]["f32"]) == -1 and math.copysign(1, back[1][1]["i"]) == -1


def test_subnormals_come_back_bit_for_bit():
    tiny32 = float(np.float32(1e-45))  # the smallest float32 subnormal
    samples = [(0, {"a": 5e-324, "b": tiny32}), (1, {"a": -2.225e-308, "b": -tiny32})]
    assert kinds_of(samples) == {"a": "float64", "b": "float32"}
    assert_same(samples, round_trip(samples))


def test_an_int_among_floats_stays_an_int_and_a_whole_float_among_ints_stays_a_float():
    samples = [(0, {"v": 5, "w": 7}), (1, {"v": 5.5, "w": 7.0}), (2, {"v": 6.5, "w": 8})]
    assert kinds_of(samples) == {"v": "float32", "w": "int64"}
    back = round_trip(samples)
    assert [type(d["v"]) for _, d in back] == [int, float, float]
    assert [type(d["w"]) for _, d in back] == [int, float, int]
    assert_same(samples, back)


def test_ints_beyond_int64_come_back_exactly():
    big = [INT64_MAX, INT64_MAX + 1, -(2**63), -(2**63) - 1, 2**64 - 1, 2**64, -(10**40), 10**400]
    samples = [(i, {"n": n, "m": {"deep": [n]}}) for i, n in enumerate(big)]
    back = round_trip(samples)
    assert [d["n"] for _, d in back] == big and all(type(d["n"]) is int for _, d in back)
    assert_same(samples, back)


def test_a_null_value_is_not_a_missing_key():
    samples = [(0, {"x": 1.5, "y": None}), (1, {"y": 2.5}), (2, {"x": None}), (3, {})]
    back = round_trip(samples)
    assert [d for _, d in back] == [{"x": 1.5, "y": None}, {"y": 2.5}, {"x": None}, {}]
    assert_same(samples, back)


def test_a_field_that_is_sometimes_a_string_or_a_boolean():
    samples = [(0, {"v": 1.5}), (1, {"v": "n/a"}), (2, {"v": True}), (3, {"v": 1}), (4, {"v": 2.5})]
    back = round_trip(samples)
    assert [d["v"] for _, d in back] == [1.5, "n/a", True, 1, 2.5]
    assert [type(d["v"]) for _, d in back] == [float, str, bool, int, float]


def test_strings_booleans_and_nested_values_with_unicode_and_their_nested_key_order():
    data = {
        "label": 'ガラス 🚶 \u200b\\"',
        "ok": False,
        "nested": {"z": [1, 2.0, "3", None, True], "a": {"é": {}}, "": []},
        "": "empty key",
    }
    back = round_trip([(1, data)])
    assert back == [(1, data)]
    assert list(back[0][1]["nested"]) == ["z", "a", ""]  # nested order as given
    assert_same([(1, data)], back)


def test_lone_surrogates_in_strings_and_keys_come_back():
    samples = [(0, {"s": "\ud800", "\udfff": 1.5, "t": {"\ud83d": "\ude00"}})]
    assert_same(samples, round_trip(samples))
    assert round_trip(samples)[0][1] == samples[0][1]


def test_top_level_keys_come_back_typed_fields_first_in_name_order():
    back = round_trip([(0, {"zeta": "text", "b": 2.5, "a": 1.5})])
    assert list(back[0][1]) == ["a", "b", "zeta"]


def test_a_key_per_sample_stays_in_the_rest():
    samples = [(i, {f"k{i}": float(i), "x": 0.5}) for i in range(5000)]
    encoded = encode_chunk(samples)
    assert [f.name for f in encoded.meta.fields] == ["x"]
    assert encoded.meta.rest_count == 5000
    assert_same(samples, list(iter_samples(encoded.payload)))


def test_the_most_common_fields_get_the_columns_up_to_max_columns():
    many = {f"k{j:03}": float(j) for j in range(100)}
    samples = [(0, many), (1, many), (2, {"k099": 1.5, "k098": 2.5}), (3, {"s": "text"})]
    encoded = encode_chunk(samples)
    names = [f.name for f in encoded.meta.fields]
    assert len(names) == chunk_layout.MAX_COLUMNS
    assert names[-2:] == ["k098", "k099"]  # in three samples: always a column
    assert names[:-2] == [f"k{j:03}" for j in range(chunk_layout.MAX_COLUMNS - 2)]  # by name
    assert_same(samples, list(iter_samples(encoded.payload)))


def test_reading_stops_after_the_row_groups_it_needs():
    samples = [(i * 10, {"x": float(i)}) for i in range(100)]
    with row_groups_of(10):
        payload = encode_chunk(samples).payload
    chunk = chunk_parquet.ChunkFile(payload)
    assert chunk.row_groups(None, None) == list(range(10))
    assert chunk.row_groups(250, 420) == [2, 3, 4]  # by the groups' timestamp statistics
    assert chunk.row_groups(250, 500) == [2, 3, 4]  # the end is not in the range
    assert chunk.row_groups(2000, None) == []
    with mock.patch.object(chunk_parquet.ChunkFile, "read_group", autospec=True) as read_group:
        read_group.side_effect = lambda self, i, s, e: chunk_parquet.in_range(
            self.file.read_row_group(i), s, e
        )
        first = list(islice(iter_samples(payload, 250), 3))
    assert first == [(250, {"x": 25.0}), (260, {"x": 26.0}), (270, {"x": 27.0})]
    assert [call.args[1] for call in read_group.call_args_list] == [2]


def test_decode_frame_gives_analysis_columns_without_json():
    samples = [
        (0, {"x": 1.5, "n": 3, "s": "a"}),
        (1, {"x": -0.0, "n": 4}),
        (2, {"n": 5, "timestamp": 99.5}),
    ]
    frame = decode_frame(encode_chunk(samples).payload)
    assert list(frame.columns) == ["timestamp", "n", "x"]  # no string field, no data "timestamp"
    assert str(frame["timestamp"].dtype) == "int64" and str(frame["n"].dtype) == "int64"
    assert str(frame["x"].dtype) == "float64"
    assert frame["n"].tolist() == [3, 4, 5]
    assert frame["x"].tolist()[:2] == [1.5, -0.0] and math.isnan(frame["x"].iloc[2])
    assert list(decode_frame(encode_chunk(samples).payload, 1, 2, fields=["x", "nope"])) == [
        "timestamp",
        "x",
    ]


def test_the_analysis_table_includes_numbers_kept_in_the_rest():
    samples = [(0, {"v": 1.5}), (1, {"v": 2}), (2, {"v": "x"}), (3, {"v": 10**30}), (4, {"v": 2.5})]
    table = decode_table(encode_chunk(samples).payload)
    assert table["v"].to_pylist() == [1.5, 2.0, None, 1e30, 2.5]


def test_metadata_of_a_realistic_chunk():
    samples = [(1000 + 10 * i, {"x": float(np.float32(i / 8)), "n": i}) for i in range(1000)]
    samples[5] = (1050, {"x": 0.25, "tag": "dropped"})
    meta = encode_chunk(samples).meta
    assert meta.as_dict() == {
        "count": 1000,
        "first_timestamp": 1000,
        "last_timestamp": 10990,
        "fields": (
            {"name": "n", "kind": "int64", "min": 0, "max": 999, "nulls": 1},
            {"name": "x", "kind": "float32", "min": 0.0, "max": 999 / 8, "nulls": 0},
        ),
        "rest_count": 1,
    }


def test_merging_replaces_whole_samples_and_inserts_new_ones_in_order():
    payload = encode_chunk([(10, {"x": 1.0, "y": 1.0}), (20, {"x": 2.0}), (30, {"x": 3.0})]).payload
    newer = [(20, {"y": 9}), (5, {"x": 0.5}), (25, {"s": "late"}), (20, {"y": 10}), (40, {})]
    merged = merge_chunk(payload, newer)
    assert list(iter_samples(merged.payload)) == [
        (5, {"x": 0.5}),
        (10, {"x": 1.0, "y": 1.0}),
        (20, {"y": 10}),
        (25, {"s": "late"}),
        (30, {"x": 3.0}),
        (40, {}),
    ]
    assert (merged.meta.count, merged.meta.first_timestamp, merged.meta.last_timestamp) == (
        6,
        5,
        40,
    )


@pytest.mark.parametrize(
    ("samples", "error"),
    [
        ([], ValueError),
        ([(2, {}), (1, {})], ValueError),
        ([(1, {}), (1, {})], ValueError),
        ([(2**63, {})], ValueError),
        ([(1.0, {})], TypeError),
        ([(True, {})], TypeError),
        ([(1, [])], TypeError),
        ([(1, {1: 2.0})], TypeError),
        ([(1, {"x": float("nan")})], ValueError),
        ([(1, {"x": 1.0}), (2, {"x": float("inf")})], ValueError),
        ([(1, {"x": [1.0, float("-inf")]})], ValueError),
        ([(1, {"x": (1, 2)})], TypeError),
        ([(1, {"x": {2: "a"}})], TypeError),
        ([(1, {"x": np.float64(1.5)})], TypeError),
    ],
)
def test_what_json_cannot_carry_is_refused_not_changed(samples, error):
    with pytest.raises(error):
        encode_chunk(samples)


def test_a_realistic_recording_stays_well_under_12_bytes_per_sample():
    corpus = one_hour(seconds=120)
    for sensor, samples in corpus.items():
        payload = encode_chunk(samples).payload
        assert_same(samples, list(iter_samples(payload)))
        if sensor != "gps":  # 120 fixes: the footer dominates
            assert len(payload) / len(samples) < 8, sensor
