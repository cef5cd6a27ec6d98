"""The JSON text of a chunk's samples, written from its columns (app/recordings/chunk_json.py),
parses to exactly what the chunk holds and what was encoded: the same float64 bits, ints as
ints, the same keys in the same order as the codec decodes them (pure: no database, no app).
"""

from __future__ import annotations

import json
import struct
from unittest import mock

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.recordings import chunk_json as chunk_json_module
from app.recordings.chunk_codec import encode_chunk, iter_samples
from app.recordings.chunk_json import chunk_json
from tests.recordings.test_chunk_codec import PROPERTIES, exact, row_groups_of, sample_lists

HEAD, MIDDLE, TAIL = '{"t":', ',"d":', "}"


def written(payload, keep=None, *, follows: bool = False) -> bytes:
    return b"".join(chunk_json(payload, HEAD, MIDDLE, TAIL, keep, follows=follows))


def parsed(payload, keep=None) -> list[tuple[int, dict]]:
    """What a client reads: the standard library's parser, as it keeps ints beyond 64 bits."""
    text = written(payload, keep)
    return [(item["t"], item["d"]) for item in json.loads(b"[" + text + b"]")]


def assert_exactly(back: list, expected: list) -> None:
    """Same timestamps, same keys in the same order, same values and types (5 is not 5.0,
    -0.0 is not 0.0, every float's bits)."""
    assert [ts for ts, _ in back] == [ts for ts, _ in expected]
    for (_, got), (_, want) in zip(back, expected, strict=True):
        assert list(got) == list(want)
        assert exact(got) == exact(want)


def bits(value: float) -> bytes:
    return struct.pack("<d", value)


# --------------------------------------------------------------------------- properties


@PROPERTIES
@given(samples=sample_lists(), rows=st.integers(1, 8), slice_rows=st.integers(1, 9))
def test_the_text_parses_to_the_decoded_samples_and_to_what_was_encoded(samples, rows, slice_rows):
    with row_groups_of(rows):
        payload = encode_chunk(samples).payload
    with mock.patch.object(chunk_json_module, "SLICE_ROWS", slice_rows):
        back = parsed(payload)
    assert_exactly(back, list(iter_samples(payload)))
    assert [exact(data) for _, data in back] == [exact(data) for _, data in samples]


@PROPERTIES
@given(samples=sample_lists(), rows=st.integers(1, 5), picks=st.randoms(use_true_random=False))
def test_kept_samples_are_the_ones_written(samples, rows, picks):
    with row_groups_of(rows):
        payload = encode_chunk(samples).payload
    keep = np.array([picks.random() < 0.4 for _ in samples])
    back = parsed(payload, keep)
    decoded = list(iter_samples(payload))
    assert_exactly(back, [s for s, k in zip(decoded, keep.tolist(), strict=True) if k])


# --------------------------------------------------------------------------- numbers


def test_random_float64_bits_come_back():
    rng = np.random.default_rng(11)
    raw = rng.integers(0, 2**64, size=20_000, dtype=np.uint64).view(np.float64)
    values = raw[np.isfinite(raw)].tolist()
    values += [0.0, -0.0, 5e-324, -5e-324, 1e-05, 1e16, 1e22, 1.7976931348623157e308, 1.0, 100.0]
    samples = [(i, {"x": value}) for i, value in enumerate(values)]
    back = parsed(encode_chunk(samples).payload)
    for (_, data), value in zip(back, values, strict=True):
        assert type(data["x"]) is float and bits(data["x"]) == bits(value)


def test_float32_columns_show_the_pushed_float64():
    rng = np.random.default_rng(12)
    raw = rng.integers(0, 2**32, size=20_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    values = raw[np.isfinite(raw)].astype(np.float64).tolist()
    values += [
        float(np.float32(0.1)),
        -0.0,
        1.0,
        16777216.0,
        float(np.float32(1e-45)),
        3.4028234663852886e38,
    ]
    samples = [(i, {"x": value}) for i, value in enumerate(values)]
    encoded = encode_chunk(samples)
    assert [f.kind for f in encoded.meta.fields] == ["float32"]
    text = written(encoded.payload)
    # 0.1 as float32 was pushed as the float64 0.10000000149011612, and is shown as that.
    assert b'"x":0.10000000149011612}' in text
    back = [(item["t"], item["d"]) for item in json.loads(b"[" + text + b"]")]
    for (_, data), value in zip(back, values, strict=True):
        assert type(data["x"]) is float and bits(data["x"]) == bits(value)


@pytest.mark.parametrize(
    "value, text",
    [(1.0, b"1.0"), (-0.0, b"-0.0"), (100.0, b"100.0"), (1e16, b"1e+16"), (1e-05, b"0.00001")],
)
def test_integral_floats_keep_a_float_form(value, text):
    samples = [(1, {"x": value}), (2, {"x": 0.5})]
    assert written(encode_chunk(samples).payload).startswith(b'{"t":1,"d":{"x":' + text + b"}}")


def test_ints_stay_ints_beyond_2_53_and_64_bits():
    values = [5, 2**53 + 1, 2**63 - 1, -(2**63), -7, 0]
    samples = [(i, {"n": v, "big": 2**64 + i, "f": 2.5}) for i, v in enumerate(values)]
    samples.append((len(values), {"n": 5.0, "f": 5}))  # the minority types go to the rest
    back = parsed(encode_chunk(samples).payload)
    assert [data for _, data in back] == [data for _, data in samples]
    for (_, got), (_, sent) in zip(back, samples, strict=True):
        assert {k: type(v) for k, v in got.items()} == {k: type(v) for k, v in sent.items()}


# --------------------------------------------------------------------------- shapes


def test_missing_fields_rest_only_and_empty_samples():
    samples = [
        (1, {"x": 1.5, "y": 2.5}),
        (2, {"y": 3.5}),
        (3, {}),
        (4, {"x": 4.5, "label": 'a,"b"}\n', "flag": True, "nested": {"k": [1, None, {}]}}),
        (5, {"label": "only the rest"}),
        (6, {"x": None}),
    ] + [(10 + i, {"x": 0.25 * i, "y": 1.25}) for i in range(10)]
    payload = encode_chunk(samples).payload
    assert_exactly(parsed(payload), list(iter_samples(payload)))
    assert [data for _, data in parsed(payload)][:6] == [data for _, data in samples][:6]


def test_pieces_are_joined_by_commas_across_row_groups_and_slices():
    samples = [(i, {"x": i + 0.5}) for i in range(10)]
    with row_groups_of(3):
        payload = encode_chunk(samples).payload
    with mock.patch.object(chunk_json_module, "SLICE_ROWS", 2):
        pieces = list(chunk_json(payload, HEAD, MIDDLE, TAIL))
        follows = list(chunk_json(payload, HEAD, MIDDLE, TAIL, follows=True))
    assert len(pieces) == 7  # row groups of 3, 3, 3, 1 in slices of at most 2
    assert pieces[0].startswith(b"{") and all(p.startswith(b",{") for p in pieces[1:])
    assert follows[0] == b"," + pieces[0] and follows[1:] == pieces[1:]
    assert [ts for ts, _ in parsed(payload)] == list(range(10))


def test_nothing_is_written_when_no_sample_is_kept():
    payload = encode_chunk([(i, {"x": 0.5}) for i in range(5)]).payload
    assert list(chunk_json(payload, HEAD, MIDDLE, TAIL, np.zeros(5, dtype=bool))) == []


def test_field_names_are_escaped():
    names = ['a"b', "back\\slash", "é✓", "", "new\nline"]
    samples = [(i, dict.fromkeys(names, i + 0.5)) for i in range(4)]
    payload = encode_chunk(samples).payload
    assert_exactly(parsed(payload), list(iter_samples(payload)))


def test_the_head_must_end_a_member_name():
    payload = encode_chunk([(1, {"x": 0.5})]).payload
    with pytest.raises(ValueError, match="head"):
        list(chunk_json(payload, '{"t"', MIDDLE, TAIL))


def test_a_keep_mask_of_another_length_is_refused():
    payload = encode_chunk([(1, {"x": 0.5}), (2, {"x": 1.5})]).payload
    with pytest.raises(ValueError, match="choices"):
        list(chunk_json(payload, HEAD, MIDDLE, TAIL, np.ones(3, dtype=bool)))
