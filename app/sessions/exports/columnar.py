"""The CSV and Parquet exports of samples read as Arrow columns (a chunk's row group, see
app/recordings/samples/columns.py): each column built with Arrow compute, no Python per sample
except for values kept in a chunk's rest (strings, booleans, nested values, numbers that did not
fit their field's column) and the rare floats described at `float_text`.

The output is the same as the per-sample writers' (writers.py) for the same samples.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from app.recordings.chunk_json import text_bytes
from app.recordings.samples.columns import ColumnBatch
from app.sessions.exports.cells import cell_text, quoted
from app.sessions.exports.fields import Field

# Where Arrow's float-to-text cast writes plain digits, as Python's repr does, and where both
# write an exponent. Both write the shortest digits that read back as the same float64 (checked
# against repr on millions of random bit patterns); only the layout differs: Python writes
# "5.0" where Arrow writes "5", "1e-07" where Arrow writes "1e-7", and the two switch to an
# exponent at other magnitudes (Python below 1e-4 and from 1e16 on, Arrow below 1e-6 and from
# about 1e10 on). Values between these ranges are written by repr itself.
_PLAIN = (1e-4, 1e9)
_EXPONENT = (1e-7, 1e16)
_MIN_EXPONENT_DIGIT = r"e\10\2"  # "e-7" -> "e-07" (RE2 rewrite: group 1, "0", group 2)


def float_text(values: pa.Array) -> pa.Array:
    """float64 values as Python's `repr` writes them (as the csv module does); null stays null."""
    values = values.cast(pa.float64())
    texts = pc.cast(values, pa.string())
    magnitude = pc.abs(values)
    plain = pc.or_(
        pc.equal(magnitude, 0.0),
        pc.and_(pc.greater_equal(magnitude, _PLAIN[0]), pc.less(magnitude, _PLAIN[1])),
    )
    whole = pc.equal(values, pc.floor(values))
    # Python marks a whole float as one: "5.0".
    texts = pc.if_else(pc.and_(plain, whole), pc.binary_join_element_wise(texts, ".0", ""), texts)
    exponent = pc.and_(
        pc.not_equal(magnitude, 0.0),
        pc.or_(pc.less(magnitude, _EXPONENT[0]), pc.greater_equal(magnitude, _EXPONENT[1])),
    )
    has_e = pc.match_substring(texts, "e")
    # Checked rather than assumed from Arrow's thresholds: a text not laid out as expected is
    # written by repr too.
    fast = pc.or_(pc.and_(plain, pc.invert(has_e)), pc.and_(exponent, has_e))
    if pc.any(exponent).as_py():
        padded = pc.replace_substring_regex(texts, r"e([+-])(\d)$", _MIN_EXPONENT_DIGIT)
        texts = pc.if_else(exponent, padded, texts)
    slow = pc.and_(pc.is_valid(values), pc.invert(pc.fill_null(fast, False)))
    if pc.any(slow).as_py():
        others = pc.filter(values, slow).to_pylist()
        texts = pc.replace_with_mask(texts, slow, pa.array([repr(v) for v in others], pa.string()))
    return texts


def number_text(values: pa.Array) -> pa.Array:
    """Typed values as the csv module writes numbers: ints as ints, floats as repr."""
    if pa.types.is_integer(values.type):
        return pc.cast(values, pa.string())
    return float_text(values)


# A missing value: csv quotes the empty text.
_EMPTY = quoted("")


def _field_column(
    batch: ColumnBatch,
    key: str,
    typed: Callable[[pa.Array], pa.Array],
    untyped: Callable[[Any], Any],
    kind: pa.DataType,
) -> pa.Array:
    """One field's output column: typed values converted by `typed` (all at once), values from
    the rest by `untyped` (one by one), null where the sample has neither."""
    column = batch.typed.get(key)
    out = pa.nulls(len(batch), kind) if column is None else typed(column)
    rows, values = batch.rest_values.get(key, ((), ()))
    if not rows:
        return out
    mask = np.zeros(len(batch), dtype=bool)
    mask[list(rows)] = True
    return pc.replace_with_mask(out, pa.array(mask), pa.array([untyped(v) for v in values], kind))


def csv_block(sensor_type: str, batch: ColumnBatch, fields: list[Field]) -> bytes:
    """The CSV lines of the batch (`"sensor_type",timestamp,<cells>`), as csv_chunks writes."""
    columns = [pc.cast(batch.timestamps, pa.string())]
    for f in fields:
        cells = _field_column(batch, f.key, number_text, cell_text, pa.string())
        columns.append(pc.fill_null(cells, _EMPTY))
    lines = pc.binary_join_element_wise(quoted(sensor_type), *columns, ",")
    # Each line ends with "\n", so the lines' text buffer is the block.
    return text_bytes(pc.binary_join_element_wise(lines, "\n", ""))


def _json_texts(values: pa.Array) -> pa.Array:
    # Numbers in a text column (a field that also holds strings) as orjson writes them, as the
    # per-sample writer does; such mixed fields are rare, so one by one.
    return pa.array(
        [None if v is None else orjson.dumps(v).decode() for v in values.to_pylist()], pa.string()
    )


def _untyped_number(value: Any) -> float | None:
    return None if value is None else float(value)


def _untyped_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def parquet_table(
    sensor_type: str, batch: ColumnBatch, fields: list[Field], schema: pa.Schema
) -> pa.Table:
    """The batch as rows of the Parquet export (writers.parquet_schema)."""
    columns = [pa.repeat(sensor_type, len(batch)).cast(pa.string()), batch.timestamps]
    for f in fields:
        if f.numeric:
            # Unsafe: an int beyond 2**53 becomes the nearest float64, as float() makes it.
            typed = _as_float64
            columns.append(_field_column(batch, f.key, typed, _untyped_number, pa.float64()))
        else:
            columns.append(_field_column(batch, f.key, _json_texts, _untyped_text, pa.string()))
    return pa.Table.from_arrays(columns, schema=schema)


def _as_float64(values: pa.Array) -> pa.Array:
    return values.cast(pa.float64(), safe=False)
