"""The type rules of a chunk: which values of the samples' `data` go to typed columns, and the
exact JSON of everything else (the "rest"). See docs/storage-codec.md#type-rules.

A top-level field becomes a typed column when it holds numbers: float64, float32 (when every
value converts to float32 and back with the same bits, as Android's sensor values do) or int64.
A value that does not fit its field's column — `5` in a float field, `5.0` in an int field, an
int beyond int64, `null`, a string — stays in the rest of its sample, so the column is null
there and nothing is converted. Booleans, strings and nested values are always in the rest.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import KeysView
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

# Most typed columns per chunk: fields beyond this (the rarest) stay in the rest, so a client
# inventing keys cannot make a chunk of thousands of columns. Keys in fewer than one sample of
# SPARSE are not worth a column either.
MAX_COLUMNS = 64
TRIED_KEYS = 2 * MAX_COLUMNS
SPARSE = 8
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_ABSENT = object()
_JSON_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Column:
    """One typed column: its field name, kind ("float32", "float64" or "int64"), values (Arrow,
    null where the sample has no typed value) and how many values of the field went to the rest."""

    name: str
    kind: str
    values: pa.Array
    spilled: int


@dataclass(frozen=True)
class Layout:
    columns: list[Column]
    rest: pa.Array | None  # per sample: JSON of the keys not in a column, null when none
    rest_codec: str | None  # "orjson", or "json" when a value needs the standard library


def plan(datas: list[dict[str, Any]]) -> Layout:
    """Split the samples' data into typed columns and the rest."""
    for data in datas:
        if type(data) is not dict:
            raise TypeError(f"sample data must be a dict, not {type(data).__name__}")
    presence = Counter(chain.from_iterable(datas))
    for key in presence:
        if type(key) is not str:
            raise TypeError(f"data keys must be strings, not {type(key).__name__}")
    # Only keys in at least one sample of SPARSE are tried, at most TRIED_KEYS of them: the work
    # stays within SPARSE times the size of the data, whatever the keys. A name Arrow cannot
    # hold (not UTF-8: a lone surrogate) keeps its values in the rest.
    tried = [
        key
        for key, count in presence.most_common(TRIED_KEYS)
        if count * SPARSE >= len(datas) and _is_utf8(key)
    ]
    candidates = [c for c in (_typed(key, datas) for key in tried) if c is not None]
    candidates.sort(key=lambda c: (-c[1], c[0].name))
    columns = sorted((c for c, _ in candidates[:MAX_COLUMNS]), key=lambda c: c.name)
    rest, codec = _rest(datas, columns, presence.keys())
    return Layout(columns, rest, codec)


def _is_utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _typed(key: str, datas: list[dict]) -> tuple[Column, int] | None:
    """The column for `key` (with the number of values it holds), or None if it holds none."""
    values = [data.get(key, _ABSENT) for data in datas]
    kinds = Counter(map(type, values))
    floats, ints = kinds[float], kinds[int]
    if floats == 0 and ints == 0:
        return None
    present = len(values) - kinds[type(_ABSENT)]
    if floats >= ints:
        column = _float_column(key, values, floats == len(values))
    else:
        column = _int_column(key, values, ints == len(values))
    held = present - column.spilled
    return (column, held) if held else None  # e.g. only ints beyond int64: all in the rest


def _float_column(key: str, values: list, dense: bool) -> Column:
    if dense:
        numbers, valid = np.array(values, dtype=np.float64), None
    else:
        valid = np.array([type(v) is float for v in values])
        numbers = np.array([v if type(v) is float else 0.0 for v in values], dtype=np.float64)
    if not np.isfinite(numbers).all():
        raise ValueError(f"field {key!r}: NaN and infinity are not JSON numbers")
    with np.errstate(over="ignore"):
        narrow = numbers.astype(np.float32)
    # Compare bits, not values: -0.0 and subnormals must survive too.
    exact = np.array_equal(narrow.astype(np.float64).view(np.int64), numbers.view(np.int64))
    kind, stored = ("float32", narrow) if exact else ("float64", numbers)
    return _column(key, kind, stored, valid, values)


def _int_column(key: str, values: list, dense: bool) -> Column:
    if dense:
        try:
            return _column(key, "int64", np.array(values, dtype=np.int64), None, values)
        except OverflowError:
            pass  # some beyond int64: those stay in the rest
    valid = np.array([type(v) is int and INT64_MIN <= v <= INT64_MAX for v in values])
    numbers = np.array([v if ok else 0 for v, ok in zip(values, valid, strict=True)], np.int64)
    return _column(key, "int64", numbers, valid, values)


def _column(key: str, kind: str, numbers: np.ndarray, valid, values: list) -> Column:
    if valid is None:
        return Column(key, kind, pa.array(numbers), 0)
    absent = sum(v is _ABSENT for v in values)
    spilled = len(values) - absent - int(valid.sum())
    return Column(key, kind, pa.array(numbers, mask=~valid), spilled)


def _rest(
    datas: list[dict], columns: list[Column], keys: KeysView[str]
) -> tuple[pa.Array | None, str | None]:
    """Per sample, the keys whose values are not in a column, as exact JSON (null when none)."""
    typed = {c.name: c for c in columns}
    # Where a column with spilled values holds none, the sample's value (if any) is in the rest.
    untyped = {
        c.name: ~c.values.is_valid().to_numpy(zero_copy_only=False) for c in columns if c.spilled
    }
    if keys <= typed.keys() and not untyped:
        return None, None
    spill_rows = set()
    for name, mask in untyped.items():
        spill_rows.update(i for i in np.flatnonzero(mask).tolist() if name in datas[i])
    leftovers: list[dict | None] = [None] * len(datas)
    for i, data in enumerate(datas):
        if i in spill_rows or not data.keys() <= typed.keys():
            leftovers[i] = {
                k: v for k, v in data.items() if k not in typed or (k in untyped and untyped[k][i])
            }
    for leftover in leftovers:
        if leftover is not None:
            _check_json(leftover)
    try:
        texts = [None if x is None else orjson.dumps(x) for x in leftovers]
        codec = "orjson"
    except TypeError:  # an int beyond 64 bits or a lone surrogate: orjson refuses both
        texts = [None if x is None else _std_dumps(x) for x in leftovers]
        codec = "json"
    return pa.array(texts, type=pa.binary()), codec


def _std_dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode()


def loads_rest(text: bytes, codec: str) -> dict[str, Any]:
    """The leftover keys of one sample, exactly as they were given."""
    # orjson reads an integer beyond 64 bits as a float: such chunks were written by the
    # standard library and are read by it.
    return orjson.loads(text) if codec == "orjson" else json.loads(text)


def _check_json(value: Any) -> None:
    """Refuse what JSON cannot carry exactly (NaN, infinity, tuples, numpy scalars …), rather
    than let a serialiser change it silently."""
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError(f"data keys must be strings, not {type(key).__name__}")
            _check_json(item)
    elif kind is list:
        for item in value:
            _check_json(item)
    elif kind not in _JSON_SCALARS:
        raise TypeError(f"{kind.__name__} is not a JSON value")
    elif kind is float and not np.isfinite(value):
        raise ValueError("NaN and infinity are not JSON numbers")
