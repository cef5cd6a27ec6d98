"""One export of one session, described once for the HTTP route and the CLI command."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.recordings.ownership import owned_session
from app.recordings.samples.reading import SampleRange
from app.recordings.samples.summary import sensor_summary
from app.sessions.exports import writers
from app.sessions.exports.fields import data_fields

MEDIA_TYPES = {
    "csv": "text/csv",
    "ndjson": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass
class Export:
    filename: str
    media_type: str
    samples: int  # how many samples the chunks will carry (for a progress bar)
    chunks: writers.Chunks
    # Data keys without a column: the session holds more than MAX_SESSION_SENSOR_KEYS.
    omitted_fields: int = 0


def prepare_export(user_id: int, session_id: str, fmt: str, sensor_type: str | None) -> Export:
    """Check ownership and plan the export; the chunks are produced lazily when iterated."""
    session = owned_session(user_id, session_id)
    summary = [s for s in sensor_summary(session.id) if sensor_type in (None, s["sensor_type"])]
    wanted = SampleRange(sensor_type=sensor_type)
    type_id = summary[0]["type_id"] if sensor_type and summary else None
    omitted = 0
    if fmt == "ndjson":
        chunks = writers.ndjson_chunks(session.id, wanted)
    else:
        # No samples of the asked type: a file with the fixed columns only.
        typed = fmt == "parquet"
        fields, omitted = data_fields(session.id, type_id, typed=typed) if summary else ([], 0)
        write = writers.parquet_chunks if typed else writers.csv_chunks
        chunks = write(session.id, wanted, fields)
    stem = _UNSAFE.sub("_", session.session_id) + (f"-{sensor_type}" if sensor_type else "")
    return Export(
        filename=f"{stem}.{fmt}",
        media_type=MEDIA_TYPES[fmt],
        samples=sum(s["count"] for s in summary),
        chunks=chunks,
        omitted_fields=omitted,
    )
