"""A sensor file from the app, made an import of app/uploads.

The app writes its flat records (`{timestamp, sensorType, x, y, z, latitude, ...}`, unused
fields null) as a JSON array or as NDJSON; those are rewritten, record by record, into the
NDJSON our import reads (`{sensor_type, timestamp, data}`, data = the non-null fields). Files
already in our formats (NDJSON, CSV, gzip) are imported as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from flask import current_app

from app.app_protocol.samples import provisional_state, to_sample
from app.errors import PayloadTooLarge, ValidationFailed
from app.extensions import db
from app.models import Upload
from app.recordings.last_write_wins import lock_or_create_provisional
from app.recordings.sample_rules import EARLIEST_TIMESTAMP_MS, FUTURE_TOLERANCE
from app.recordings.schemas import SessionIn
from app.recordings.watermark import begin_stamped_write
from app.uploads import decoding, readers, service
from app.uploads.settings import MAX_LINE_BYTES


def _first_line(path: Path) -> bytes:
    with path.open("rb") as stream:
        return stream.readline(decoding.BLOCK).strip()


def _array_records(path: Path) -> Iterator[Any]:
    """A JSON array is parsed whole, so it is held to MAX_CONTENT_LENGTH (NDJSON has no cap
    but the file's)."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if path.stat().st_size > limit:
        raise PayloadTooLarge(
            f"A JSON array file may hold at most {limit} bytes; send larger files as NDJSON "
            "(one record per line)"
        )
    try:
        records = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as error:
        raise ValidationFailed(f"The file is not valid JSON: {error}") from None
    if not isinstance(records, list):
        raise ValidationFailed("A JSON file must hold an array of records")
    return iter(records)


def _ndjson_lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as stream:
        for _, line in decoding.lines(stream, MAX_LINE_BYTES):
            if line is None:  # an invalid sample in its place keeps the line numbers right
                yield orjson.dumps(f"line longer than {MAX_LINE_BYTES} bytes")
                continue
            try:
                yield orjson.dumps(to_sample(orjson.loads(line)))
            except orjson.JSONDecodeError:
                yield line  # left for the import to report with its number


def _rewrite(path: Path, lines: Iterable[bytes]) -> Path:
    target = path.with_suffix(".ndjson")
    try:
        with target.open("wb") as out:
            for line in lines:
                out.write(line + b"\n")
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    path.unlink(missing_ok=True)
    return target


def normalise(path: Path) -> tuple[Path, str | None]:
    """The file in a format our import reads, and that format when known."""
    if decoding.is_gzip(path):
        return path, None
    first = _first_line(path)
    if first.startswith(b"["):
        samples = (orjson.dumps(to_sample(r)) for r in _array_records(path))
        return _rewrite(path, samples), readers.NDJSON
    if first.startswith(b"{"):
        try:
            is_app = isinstance(head := orjson.loads(first), dict) and "sensorType" in head
        except orjson.JSONDecodeError:
            is_app = False
        return (_rewrite(path, _ndjson_lines(path)), readers.NDJSON) if is_app else (path, None)
    return path, None


def _earliest_timestamp(path: Path, fmt: str) -> int | None:
    """The first valid sample time of the file, for a session it creates."""
    settings = current_app.config
    found = None
    latest = int((datetime.now(UTC) + FUTURE_TOLERANCE).timestamp() * 1000)  # as the import
    records = readers.records(
        path,
        fmt,
        decoding.is_gzip(path),
        max_bytes=settings["MAX_UPLOAD_DECOMPRESSED_BYTES"],
        max_line=MAX_LINE_BYTES,
    )
    for record in records:
        value = (readers.parse_ndjson(record) if fmt == readers.NDJSON else record).value
        ts = value.get("timestamp") if isinstance(value, dict) else None
        if (
            isinstance(ts, int)
            and not isinstance(ts, bool)
            and EARLIEST_TIMESTAMP_MS <= ts <= latest
        ):
            found = ts if found is None else min(found, ts)
    return found


def _ensure_session(user_id: int, session_id: str, path: Path, fmt: str) -> None:
    """Create the session provisionally from the file's first sample when it is unknown
    (or move a provisional one's start back), before the import is queued."""
    row = provisional_state(user_id, session_id)
    if row is not None and not row.provisional:
        return
    earliest = _earliest_timestamp(path, fmt)
    if earliest is None:
        if row is None:
            raise ValidationFailed("The file holds no sample with a valid timestamp")
        return
    start = datetime.fromtimestamp(earliest / 1000, tz=UTC)
    lock_or_create_provisional(user_id, session_id, start, begin_stamped_write())
    db.session.commit()


def accept(user_id: int, path: Path, filename: str, session_id: str) -> Upload:
    """Queue the import of a stored sensor file (deleted when refused)."""
    try:
        path, fmt = normalise(path)
        fmt = fmt or readers.detect_format(path, decoding.is_gzip(path), filename, None)
        _ensure_session(user_id, session_id, path, fmt)
    except BaseException:
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise
    return service.accept_stored(user_id, path, filename, SessionIn(session_id=session_id), fmt)
