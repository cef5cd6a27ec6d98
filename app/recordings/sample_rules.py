"""The per-sample rules of a push or an import: which samples of a batch are stored, and why
the others are refused (`{"index", "error"}`)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Annotated, Any

import orjson
from pydantic import ConfigDict, Field, InstanceOf, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from app.recordings.sample_keys import KeyLimits, key_problems
from app.recordings.schemas import SensorType
from app.validation import describe_errors

EARLIEST_TIMESTAMP_MS = 946_684_800_000  # 2000-01-01T00:00:00Z
FUTURE_TOLERANCE = timedelta(days=1)


class SampleIn(TypedDict):
    __pydantic_config__ = ConfigDict(strict=True, extra="ignore")  # type: ignore[misc]

    sensor_type: SensorType
    timestamp: Annotated[int, Field(strict=True, ge=EARLIEST_TIMESTAMP_MS)]
    # An object, taken as it is: it comes from a JSON parser, so its keys are strings, and
    # `dict[str, Any]` would copy every sample's data (five times the cost of the whole
    # validation of a 5,000-sample batch). Its contents are checked below.
    data: InstanceOf[dict]


_SAMPLES = TypeAdapter(list[SampleIn])


def split_samples(
    raw: list[Any], now: datetime, *, check_numbers: bool, keys: KeyLimits
) -> tuple[list[tuple[int, SampleIn]], list[dict[str, Any]]]:
    """Separate valid samples (with their index) from invalid ones (`{"index", "error"}`).

    One validation pass in pydantic's core for the whole batch; a second pass only over the
    survivors when some samples failed.
    """
    latest_ms = int((now + FUTURE_TOLERANCE).timestamp() * 1000)
    problems: dict[int, str] = {}
    try:
        valid = _SAMPLES.validate_python(raw)
        indexed = list(enumerate(valid))
    except ValidationError as error:
        for problem in describe_errors(error):
            index_text, _, field = problem["field"].partition(".")
            index = int(index_text)
            problems.setdefault(index, f"{field or 'sample'}: {problem['message']}")
        survivors = [i for i in range(len(raw)) if i not in problems]
        revalidated = _SAMPLES.validate_python([raw[i] for i in survivors])
        indexed = list(zip(survivors, revalidated, strict=True))
    for index, sample in indexed:
        if sample["timestamp"] > latest_ms:
            problems[index] = "timestamp: must not be later than server time + 1 day"
        elif check_numbers and not _storable(sample["data"]):
            problems[index] = "data: numbers must be finite and within the 64-bit range"
    for index, problem in _unserialisable(indexed).items():
        problems.setdefault(index, problem)
    for index, problem in key_problems(indexed, keys).items():
        problems.setdefault(index, problem)
    if problems:
        indexed = [(i, s) for i, s in indexed if i not in problems]
    errors = [{"index": i, "error": problems[i]} for i in sorted(problems)]
    return indexed, errors


def _unserialisable(indexed: list[tuple[int, SampleIn]]) -> dict[int, str]:
    """Samples whose data cannot be written: nested deeper than orjson serialises (254 levels;
    the parser accepts 1024) or holding U+0000, which PostgreSQL's jsonb rejects. Both were a
    500. The common case costs one C-level dump of the batch's data."""
    try:
        blob = orjson.dumps([sample["data"] for _, sample in indexed])
        if b"\\u0000" not in blob:
            return {}
    except TypeError:
        pass
    found = {}
    for index, sample in indexed:
        try:
            orjson.dumps(sample["data"])
        except TypeError:
            found[index] = "data: nested too deeply or not serialisable"
            continue
        if _has_nul(sample["data"]):
            found[index] = "data: text must not contain U+0000"
    return found


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any("\x00" in key or _has_nul(v) for key, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _storable(value: Any) -> bool:
    """True when every number is finite and fits 64 bits (what the fast parser guarantees)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int):
        return -(2**63) <= value < 2**64
    if isinstance(value, dict):
        return all(_storable(v) for v in value.values())
    if isinstance(value, list):
        return all(_storable(v) for v in value)
    return True
