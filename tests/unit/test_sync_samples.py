"""Which samples of a push are valid: `split_samples`, called directly (no HTTP, no database).

The rules are written down in docs/sync.md#invalid-samples. An invalid sample is skipped and
reported as `{"index", "error"}`; the others keep their index in the request.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

# App modules (they move in the restructure; only this block names them).
from app.recordings.sample_keys import KeyLimits
from app.recordings.sample_rules import EARLIEST_TIMESTAMP_MS, split_samples

NOW = datetime(2025, 11, 13, 12, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
LATEST_MS = NOW_MS + 24 * 3600 * 1000  # server time + 1 day
GOOD = {"sensor_type": "accelerometer", "timestamp": NOW_MS, "data": {"x": 0.1}}


def _split(raw: list, *, check_numbers: bool = False):
    return split_samples(raw, NOW, check_numbers=check_numbers, keys=KeyLimits())


def _nested(levels: int) -> dict:
    data: dict = {"leaf": 1}
    for _ in range(levels):
        data = {"n": data}
    return data


def test_valid_samples_keep_their_index_and_there_are_no_errors():
    raw = [GOOD, {**GOOD, "timestamp": NOW_MS + 10}]

    valid, errors = _split(raw)

    assert [index for index, _ in valid] == [0, 1]
    assert [sample["timestamp"] for _, sample in valid] == [NOW_MS, NOW_MS + 10]
    assert errors == []


INVALID = [
    pytest.param({"timestamp": NOW_MS, "data": {}}, "sensor_type", id="sensor_type-missing"),
    pytest.param({**GOOD, "sensor_type": "Accelerometer"}, "sensor_type", id="upper-case"),
    pytest.param({**GOOD, "sensor_type": "linear-acc"}, "sensor_type", id="hyphen"),
    pytest.param({**GOOD, "sensor_type": ""}, "sensor_type", id="empty-type"),
    pytest.param({**GOOD, "sensor_type": "a" * 51}, "sensor_type", id="type-of-51-chars"),
    pytest.param({**GOOD, "sensor_type": 7}, "sensor_type", id="type-not-text"),
    pytest.param({"sensor_type": "gps", "data": {}}, "timestamp", id="timestamp-missing"),
    pytest.param({**GOOD, "timestamp": str(NOW_MS)}, "timestamp", id="timestamp-as-text"),
    pytest.param({**GOOD, "timestamp": float(NOW_MS)}, "timestamp", id="timestamp-as-float"),
    pytest.param({**GOOD, "timestamp": True}, "timestamp", id="timestamp-as-bool"),
    pytest.param({**GOOD, "timestamp": EARLIEST_TIMESTAMP_MS - 1}, "timestamp", id="before-2000"),
    pytest.param({**GOOD, "timestamp": LATEST_MS + 1}, "timestamp", id="over-a-day-ahead"),
    pytest.param({"sensor_type": "gps", "timestamp": NOW_MS}, "data", id="data-missing"),
    pytest.param({**GOOD, "data": None}, "data", id="data-null"),
    pytest.param({**GOOD, "data": [1, 2, 3]}, "data", id="data-a-list"),
    pytest.param({**GOOD, "data": 9.8}, "data", id="data-a-number"),
    pytest.param({**GOOD, "data": {"note": "a\x00b"}}, "data", id="nul-in-text"),
    pytest.param({**GOOD, "data": {"a\x00": 1}}, "data", id="nul-in-a-key"),
    pytest.param({**GOOD, "data": _nested(300)}, "data", id="nested-too-deep"),
    pytest.param({**GOOD, "data": {"x": 2**64}}, "data", id="integer-beyond-64-bits"),
    pytest.param("accelerometer,1,2", "sample", id="not-an-object"),
    pytest.param(None, "sample", id="null-sample"),
]


@pytest.mark.parametrize(("bad", "field"), INVALID)
def test_an_invalid_sample_is_skipped_and_reported_with_its_index(bad, field):
    raw = [GOOD, bad, {**GOOD, "timestamp": NOW_MS + 10}]

    valid, errors = _split(raw)

    assert [index for index, _ in valid] == [0, 2]
    assert len(errors) == 1 and errors[0]["index"] == 1
    assert errors[0]["error"].startswith(f"{field}: "), errors


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), 2**64])
def test_non_finite_or_oversized_numbers_are_invalid_when_numbers_are_checked(value):
    """The lenient parser (used when the fast one refuses a body) lets NaN, Infinity and
    huge integers through; the push then asks for this check."""
    bad = {**GOOD, "data": {"x": 1.0, "nested": [value]}}

    valid, errors = _split([bad, GOOD], check_numbers=True)

    assert [index for index, _ in valid] == [1]
    assert errors[0]["index"] == 0 and errors[0]["error"].startswith("data: ")


def test_the_edges_of_the_accepted_time_range_are_valid():
    raw = [
        {**GOOD, "timestamp": EARLIEST_TIMESTAMP_MS},  # 2000-01-01T00:00:00Z
        {**GOOD, "timestamp": LATEST_MS},  # exactly server time + 1 day
    ]

    valid, errors = _split(raw)

    assert errors == [] and len(valid) == 2


def test_the_future_limit_follows_the_server_time_given():
    sample = {**GOOD, "timestamp": LATEST_MS + 1000}

    assert _split([sample])[1] != []
    later = NOW + timedelta(seconds=1)
    assert split_samples([sample], later, check_numbers=False, keys=KeyLimits())[1] == []


def test_a_sample_with_several_problems_is_reported_once():
    raw = [{"sensor_type": "BAD", "timestamp": "x", "data": 1}]

    valid, errors = _split(raw)

    assert valid == [] and len(errors) == 1 and errors[0]["index"] == 0


def test_extra_fields_of_a_sample_are_dropped():
    valid, errors = _split([{**GOOD, "accuracy": 3, "id": "abc"}])

    assert errors == []
    assert dict(valid[0][1]) == GOOD


def test_data_may_be_empty_or_nested_within_the_limit():
    raw = [{**GOOD, "data": {}}, {**GOOD, "timestamp": NOW_MS + 1, "data": _nested(200)}]

    valid, errors = _split(raw)

    assert errors == [] and len(valid) == 2


def test_errors_are_listed_in_index_order_whatever_check_found_them():
    raw = [
        {**GOOD, "timestamp": LATEST_MS + 1},  # found by the time-range check
        {**GOOD, "sensor_type": "Bad"},  # found by the schema pass
        {**GOOD, "data": {"t": "\x00"}},  # found by the serialisation check
        GOOD,
    ]

    valid, errors = _split(raw)

    assert [e["index"] for e in errors] == [0, 1, 2]
    assert [e["error"].split(":")[0] for e in errors] == ["timestamp", "sensor_type", "data"]
    assert [index for index, _ in valid] == [3]
