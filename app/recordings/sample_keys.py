"""Bounds on the keys of sample `data`: every top-level key becomes a column of a wide export
and of the analysis frame, so a client must not be able to send an unbounded number of them.

Only top-level keys count. Nested objects never become columns (exports write them as JSON
text in one cell, the analyses read top-level numbers only), so their keys are not limited
here; their size is bounded by the request body like any other value.

The per-sample rules (how many keys, how long) are checked with the rest of a sample's
validation (`split_samples`); the distinct keys a session may hold per sensor type are
checked against what is stored, under the session lock (app/recordings/samples/fields.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from typing import Any

# Key names are stored in an index (sample_fields): PostgreSQL cannot index text above about
# 2,700 bytes, and 255 characters of up to 4 bytes stay well below.
KEY_LENGTH_CEILING = 255


@dataclass(frozen=True)
class KeyLimits:
    per_sample: int = 64  # top-level keys in one sample's data
    length: int = 64  # characters of one key
    per_sensor: int = 256  # distinct keys per session and sensor type; columns a reader takes

    @classmethod
    def from_config(cls, config: Any) -> KeyLimits:
        return cls(
            per_sample=config["MAX_SAMPLE_KEYS"],
            length=min(config["MAX_SAMPLE_KEY_LENGTH"], KEY_LENGTH_CEILING),
            per_sensor=config["MAX_SESSION_SENSOR_KEYS"],
        )


def key_problems(indexed: list[tuple[int, Any]], limits: KeyLimits) -> dict[int, str]:
    """Samples with too many or too long keys, by index. The common case (no such sample) costs
    two C-level passes over the batch's data and no memory, no Python loop per sample."""
    datas = [sample["data"] for _, sample in indexed]
    too_many = max(map(len, datas), default=0) > limits.per_sample
    too_long = max(map(len, chain.from_iterable(datas)), default=0) > limits.length
    if not too_many and not too_long:
        return {}
    found = {}
    for (index, _), data in zip(indexed, datas, strict=True):
        if len(data) > limits.per_sample:
            found[index] = (
                f"data: at most {limits.per_sample} keys per sample, this one has {len(data)}"
            )
        elif too_long and max(map(len, data), default=0) > limits.length:
            found[index] = f"data: keys must be at most {limits.length} characters long"
    return found
