"""Reading an uploaded sample file record by record: NDJSON or CSV, plain or gzip.

The file's lines come from app/uploads/decoding.py, capped in decoded size and in length. One
line is one record in both formats (a CSV row never spans lines), so a row of millions of
fields is as bounded as a long JSON line. A record that cannot be read becomes an error
record; it never stops the file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from app.errors import ValidationFailed
from app.uploads import decoding
from app.web import lenient_json

NDJSON, CSV = "ndjson", "csv"
FORMATS = (NDJSON, CSV)
REQUIRED_CSV_COLUMNS = ("sensor_type", "timestamp")
_SUFFIXES = {".csv": CSV, ".ndjson": NDJSON, ".jsonl": NDJSON, ".json": NDJSON}
_INTEGER = re.compile(r"[+-]?\d+")


@dataclass(frozen=True)
class Record:
    """One sample as read: `value` to validate, or `error` when it could not be read."""

    number: int  # line number for NDJSON, data row number for CSV (1 = first sample)
    value: Any = None
    error: str | None = None
    lenient: bool = False  # parsed with NaN/Infinity allowed: numbers need checking
    size: int = 0  # bytes of the line as read
    repeat: bool = False  # the same bytes as one of the lines just before it


def detect_format(path: Path, compressed: bool, filename: str, hint: str | None) -> str:
    """The format from the form field, the file name, or the first line. 400 when unusable."""
    if hint:
        if hint not in FORMATS:
            raise ValidationFailed(f"format must be one of {', '.join(FORMATS)}")
        fmt = hint
    else:
        name = filename.lower().removesuffix(".gz")
        fmt = next((f for s, f in _SUFFIXES.items() if name.endswith(s)), None)
    try:
        with decoding.open_binary(path, compressed, decoding.BLOCK * 4) as stream:
            first = stream.readline(decoding.BLOCK).lstrip()
    except (OSError, EOFError, decoding.TooLarge) as error:
        raise ValidationFailed(f"The file cannot be read: {error}") from None
    fmt = fmt or (NDJSON if first.startswith(b"{") else CSV)
    if fmt == CSV:
        header = next(csv.reader([first.decode("utf-8", "replace")]), [])
        missing = [c for c in REQUIRED_CSV_COLUMNS if c not in [h.strip() for h in header]]
        if missing:
            raise ValidationFailed(
                f"The CSV header must name the columns {', '.join(REQUIRED_CSV_COLUMNS)}",
                {"missing": missing},
            )
    return fmt


def _parse_json_line(number: int, line: bytes) -> Record:
    try:  # NaN, Infinity, huge numbers: accepted here, rejected per sample by the validation
        document, lenient = lenient_json.parse(line)
    except orjson.JSONDecodeError as error:
        return Record(number, error=f"invalid JSON: {error}")
    return Record(number, document, lenient=lenient)


def _too_long(number: int, max_line: int) -> Record:
    return Record(number, error=f"line longer than {max_line} bytes")


def ndjson_records(stream: io.BufferedReader, max_line: int) -> Iterator[Record]:
    """One record per non-blank line, kept raw (see `parse_ndjson`); numbers are line numbers."""
    repeats = decoding.Repeats()
    for number, line in decoding.lines(stream, max_line):
        if line is None:
            yield _too_long(number, max_line)
        else:
            yield Record(number, line, size=len(line), repeat=repeats(line))


def parse_ndjson(record: Record) -> Record:
    """Parse a raw NDJSON record (kept raw until needed, so skipping a done prefix is cheap)."""
    if record.error is not None:
        return record
    return _parse_json_line(record.number, record.value)


def _cell(text: str) -> Any:
    """A CSV cell as the JSON value a phone would have sent: int, float, or text (integers
    read like the push parser reads them: beyond 64 bits a float, never a crash)."""
    if _INTEGER.fullmatch(text):
        return lenient_json.parse_integer(text)
    try:
        return float(text)
    except ValueError:
        return text


def _csv_row(line: bytes) -> list[str]:
    return next(csv.reader([line.decode("utf-8", "replace")]), [])


def _csv_header(line: bytes | None) -> list[str]:
    """The column names; 400 (the import fails) when the line is unreadable or too long."""
    try:
        header = [name.strip() for name in _csv_row(line or b"")]
    except csv.Error:
        header = []
    if any(column not in header for column in REQUIRED_CSV_COLUMNS):
        raise ValidationFailed(f"The CSV header must name {', '.join(REQUIRED_CSV_COLUMNS)}")
    return header


def csv_records(stream: io.BufferedReader, max_line: int) -> Iterator[Record]:
    """One record per data row, as a push-shaped sample; numbers count data rows."""
    csv.field_size_limit(max_line)
    lines = decoding.lines(stream, max_line)
    header_number, header_line = next(lines, (0, None))
    header = _csv_header(header_line)
    i_type, i_ts = (header.index(c) for c in REQUIRED_CSV_COLUMNS)
    fields = [(i, name) for i, name in enumerate(header) if i not in (i_type, i_ts) and name]
    repeats = decoding.Repeats()
    for line_number, line in lines:
        number = line_number - header_number
        if line is None:
            yield _too_long(number, max_line)
            continue
        try:
            row = _csv_row(line)
        except csv.Error as error:
            yield Record(number, error=f"invalid CSV row: {error}")
            continue
        if not row:
            continue
        if len(row) != len(header):
            yield Record(number, error=f"expected {len(header)} columns, found {len(row)}")
            continue
        sample = {
            "sensor_type": row[i_type],
            "timestamp": _cell(row[i_ts]),
            "data": {name: _cell(row[i]) for i, name in fields if row[i] != ""},
        }
        yield Record(number, sample, lenient=True, size=len(line), repeat=repeats(line))


def records(
    path: Path, fmt: str, compressed: bool, *, max_bytes: int, max_line: int
) -> Iterator[Record]:
    """The file's records, in order; raises `TooLarge` past the decompression cap."""
    stream = decoding.open_binary(path, compressed, max_bytes)
    try:
        if fmt == CSV:
            yield from csv_records(stream, max_line)
        else:
            yield from ndjson_records(stream, max_line)
    finally:
        stream.close()
