"""The JSON text of a chunk's samples, built from its columns without a Python object per sample.

Pull sends hundreds of thousands of samples a second; decoding each into a dict and serialising
it again would cost more than everything else together. Instead, each row group's columns are
turned into text whole, and the samples' texts are put together with one Arrow `take`:

- Every number column (and the timestamps) is written by orjson as one JSON array of a numpy
  array: the shortest text that reads back as the same float64 (a float32 column is widened to
  float64 first, which is exact, so the text is that of the float64 that was pushed), ints as
  ints, a float always with a `.` or an exponent. The array's separators — `[` and the commas —
  are overwritten with `:` so that the array's bytes, cut at those separators, are the values
  each preceded by the colon that ends the member name before them.
- The `rest` column already holds each sample's other members as a JSON object; the sample's
  text either is that object (no typed value) or continues with it, its `{` turned into `,`.
- Those pieces, the member names and the fixed text around a sample become one string array;
  one index per piece and sample, in output order, lists the pieces that are present (a null in
  a typed column is a member the sample does not have: its name and value are not listed).
  `take` copies them into one buffer, which is the samples' text, joined by commas.

Arrow's own string kernels were tried first and are not used: casting float64 to string is
about five times slower than orjson's writer, and joining members with
`binary_join_element_wise(..., null_handling="skip")` is slower than one `take` and, in pyarrow
26, drops the rows whose inputs are all null instead of giving them an empty string.

Values are never parsed or reformatted beyond that, so they come out as the chunk holds them
(app/recordings/chunk_layout.py): the same float64 bits, ints as ints (beyond 2**53 too), the
rest verbatim. Member order is that of chunk_codec.iter_samples: typed fields by name, then
the rest. Memory is bounded by one row group's columns (at most 32,768 samples) and the text
of SLICE_ROWS samples, whatever the size of the chunk or the session.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from app.recordings.chunk_parquet import ChunkFile

COLON, COMMA = ord(":"), ord(",")
EMPTY_OBJECT = 2  # len("{}"): a rest without members adds nothing
_NO_BYTES = np.empty(0, dtype=np.uint8)
# Samples written at a time: the text of a few thousand samples and its parts are what the
# writer holds (about 1 MB for 3-axis samples), whatever the chunk or session size.
SLICE_ROWS = 8192

# Fixed pieces, by index.
_FIRST, _NEXT, _OPEN, _OPEN_REST, _CLOSE, _CLOSE_REST = range(6)
_NAMES = 6  # then per typed field j: its name at _NAMES + 2j, with a comma before at + 1


def chunk_json(
    payload: bytes,
    head: str,
    middle: str,
    tail: str,
    keep: np.ndarray | None = None,
    *,
    follows: bool = False,
) -> Iterator[bytes]:
    """The samples of a chunk as `head + timestamp + middle + data + tail` each, joined by
    commas, in pieces of at most SLICE_ROWS samples (each but the first starting with its comma;
    the first too when `follows`).

    `head` ends with the `:` of a member name, as in `{"timestamp":`; `keep` (a bool per sample,
    in timestamp order) picks samples, all without it.
    """
    chunk = ChunkFile(payload)
    names = [name for name, _, _ in chunk.fields]
    fixed = _fixed_pieces(head, middle, tail, names)
    metadata = chunk.file.metadata
    if keep is not None and len(keep) != metadata.num_rows:
        raise ValueError(f"{len(keep)} choices for {metadata.num_rows} samples")
    position = 0
    for index in range(metadata.num_row_groups):
        rows = metadata.row_group(index).num_rows
        wanted = None if keep is None else keep[position : position + rows]
        position += rows
        if wanted is not None and not wanted.any():
            continue
        table = chunk.read_group(index, None, None)
        if wanted is not None and not wanted.all():
            table = table.filter(pa.array(wanted))
        for start in range(0, table.num_rows, SLICE_ROWS):
            yield _render(table.slice(start, SLICE_ROWS), len(names), fixed, follows)
            follows = True


def _fixed_pieces(head: str, middle: str, tail: str, names: list[str]) -> list[bytes]:
    if not head.endswith(":"):
        raise ValueError("head must end with the ':' of a member name")
    pieces = [head[:-1], "," + head[:-1], middle + "{", middle, "}" + tail, tail]
    for name in names:
        quoted = orjson.dumps(name).decode()
        pieces += [quoted, "," + quoted]
    return [piece.encode() for piece in pieces]


def _render(table: pa.Table, typed: int, fixed: list[bytes], follows: bool) -> bytes:
    n = table.num_rows
    parts = [_fixed_part(fixed), _number_part(table["ts"])]
    present = []
    for j in range(typed):
        column = table[f"c{j}"].combine_chunks()
        present.append(_validity(column))
        parts.append(_number_part(column))
    rest = None
    if "rest" in table.column_names:
        rest_part, rest = _rest_parts(table["rest"].combine_chunks())
        parts += rest_part
    source = _source(parts)

    rows = np.arange(n, dtype=np.int64)
    first_value = len(fixed)  # pieces of part k (k >= 1) start at len(fixed) + (k - 1) * n
    # Per sample: head, timestamp, data's opening, name and value per typed field, the rest
    # (when the chunk has one), the closing.
    width = 4 + 2 * typed + (rest is not None)
    index = np.empty((n, width), dtype=np.int64)
    index[:, 0] = _NEXT
    if not follows:
        index[0, 0] = _FIRST
    index[:, 1] = first_value + rows
    seen = np.zeros(n, dtype=bool)
    holes = False
    for j, valid in enumerate(present):
        name = _NAMES + 2 * j + seen  # with a comma when a member came before
        value = first_value + (1 + j) * n + rows
        if valid is None:
            index[:, 3 + 2 * j] = name
            index[:, 4 + 2 * j] = value
            seen[:] = True
        else:
            index[:, 3 + 2 * j] = np.where(valid, name, -1)
            index[:, 4 + 2 * j] = np.where(valid, value, -1)
            seen |= valid
            holes = True
    if rest is None:
        index[:, 2] = _OPEN
        index[:, -1] = _CLOSE
    else:
        # The rest alone is the data object; after typed members it continues them.
        whole = first_value + (1 + typed) * n + rows
        index[:, 2] = np.where(rest & ~seen, _OPEN_REST, _OPEN)
        index[:, -2] = np.where(rest, np.where(seen, whole + n, whole), -1)
        index[:, -1] = np.where(rest, _CLOSE_REST, _CLOSE)
        holes = holes or not rest.all()
    flat = index.reshape(-1)
    if holes:
        flat = flat[flat >= 0]
    return text_bytes(source.take(pa.array(flat)))


def text_bytes(strings: pa.Array) -> bytes:
    """The values of a string array back to back, in one copy of its data buffer."""
    large = pa.types.is_large_string(strings.type) or pa.types.is_large_binary(strings.type)
    count = strings.offset + len(strings) + 1
    bounds = np.frombuffer(strings.buffers()[1], dtype=np.int64 if large else np.int32, count=count)
    start, end = int(bounds[strings.offset]), int(bounds[-1])
    return strings.buffers()[2].slice(start, end - start).to_pybytes()


def _validity(column: pa.Array) -> np.ndarray | None:
    """Which samples have a value in the column; None when all do."""
    if column.null_count == 0:
        return None
    return column.is_valid().to_numpy(zero_copy_only=False)


# A part: (bytes, offsets) where piece i is bytes[offsets[i]:offsets[i + 1]].
Part = tuple[np.ndarray, np.ndarray]


def _fixed_part(pieces: list[bytes]) -> Part:
    lengths = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
    offsets = np.zeros(len(pieces) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return np.frombuffer(b"".join(pieces), dtype=np.uint8), offsets


def _number_part(column: pa.Array | pa.ChunkedArray) -> Part:
    """`:value` per sample (nulls written as 0, and never used)."""
    if column.null_count:
        column = pc.fill_null(column, 0)
    values = column.to_numpy()
    if values.dtype == np.float32:
        values = values.astype(np.float64)  # exact; the text is the pushed float64's
    text = orjson.dumps(np.ascontiguousarray(values), option=orjson.OPT_SERIALIZE_NUMPY)
    data = np.frombuffer(text, dtype=np.uint8)[:-1].copy()  # without the closing ]
    separators = np.flatnonzero(data == COMMA)
    if len(separators) != len(values) - 1:
        raise ValueError("a number's text holds a comma")  # cannot happen: JSON numbers
    data[0] = COLON
    data[separators] = COLON
    offsets = np.empty(len(values) + 1, dtype=np.int64)
    offsets[0], offsets[-1] = 0, len(data)
    offsets[1:-1] = separators
    return data, offsets


def _rest_parts(column: pa.Array) -> tuple[list[Part], np.ndarray]:
    """The rest objects as they are and with their `{` turned into `,`, and which samples have
    members in the rest."""
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    kind = np.dtype(np.int64 if pa.types.is_large_binary(column.type) else np.int32)
    _, bounds_buffer, data_buffer = column.buffers()
    bounds = np.frombuffer(
        bounds_buffer, dtype=kind, count=len(column) + 1, offset=column.offset * kind.itemsize
    ).astype(np.int64)
    start, end = int(bounds[0]), int(bounds[-1])
    whole = np.frombuffer(data_buffer, dtype=np.uint8)[start:end] if end > start else _NO_BYTES
    offsets = bounds - start
    present = offsets[1:] - offsets[:-1] > EMPTY_OBJECT
    if column.null_count:
        present &= column.is_valid().to_numpy(zero_copy_only=False)
    continued = whole.copy()
    continued[offsets[:-1][present]] = COMMA
    return [(whole, offsets), (continued, offsets)], present


def _source(parts: list[Part]) -> pa.LargeStringArray:
    """All parts as one string array, piece after piece."""
    data = np.concatenate([bytes_ for bytes_, _ in parts])
    offsets = np.empty(sum(len(o) - 1 for _, o in parts) + 1, dtype=np.int64)
    at = base = 0
    for bytes_, part_offsets in parts:
        count = len(part_offsets) - 1
        offsets[at : at + count] = part_offsets[:-1] + base
        at += count
        base += len(bytes_)
    offsets[-1] = base
    return pa.LargeStringArray.from_buffers(
        len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data)
    )
