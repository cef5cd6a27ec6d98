"""Series for display: a sensor's samples reduced in SQL to at most `points` points per field.

A chart a few thousand pixels wide cannot show more, so the database groups the samples into
`points / 2` equal time buckets and returns each bucket's minimum and maximum of every numeric
field (min/max decimation): spikes survive, the response stays a few hundred kilobytes and the
server never holds the session in memory. Short series are returned as they are.
Whole-session series are kept in `chart_series` (about a second of database work per million
samples, saved on every later view); the analysis task computes them ahead of the first view.

The GPS track is read whole (fixes are few: 1 Hz against 100 Hz motion sensors) for an exact
distance, then thinned by stride for drawing.
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any

import numpy as np
from sqlalchemy.exc import SQLAlchemyError

from app.analyses.compute.geo import path_distance_m
from app.analyses.loading import numeric_fields
from app.database import begin_write_transaction
from app.extensions import db
from app.models import ChartSeries, RecordingSession
from app.recordings.samples import series as samples_series
from app.recordings.samples.sensor_types import session_sensor_types
from app.web.lenient_json import in_64_bits

GPS_SENSOR = "gps"
DEFAULT_POINTS = 2000  # about one point per horizontal pixel of a wide chart
MAX_FIELDS = 8
log = logging.getLogger(__name__)
_FIELD_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")  # safe to name in a JSON path
_AXES = samples_series.AXES


def _type_id(session_pk: int, sensor_type: str) -> int | None:
    types = session_sensor_types(session_pk)
    return next((type_id for type_id, name in types if name == sensor_type), None)


def chart_fields(session_pk: int, type_id: int) -> list[str]:
    """The sensor's numeric data fields (as the analyses find them), x, y, z first; only names
    that are safe inside a JSON path, at most MAX_FIELDS."""
    found = {key for key in numeric_fields(session_pk, [type_id]) if _FIELD_NAME.match(key)}
    ordered = [axis for axis in _AXES if axis in found] + sorted(found - set(_AXES))
    return ordered[:MAX_FIELDS]


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def sensor_series(
    session: RecordingSession,
    sensor_type: str,
    points: int = DEFAULT_POINTS,
    start: int | None = None,
    end: int | None = None,
) -> dict[str, Any] | None:
    """`{fields, t, values, magnitude, total, downsampled}`; None if the session lacks the type.

    `magnitude` (|(x, y, z)|) is given for three-axis sensors; in a downsampled series its
    bucket minimum and maximum come from the squared magnitude, which orders the same way.
    """
    type_id = _type_id(session.id, sensor_type)
    if type_id is None:
        return None
    first, last, total = samples_series.span(session.id, type_id, start, end)
    whole = start is None and end is None
    version = (
        f"{total}:{first}:{last}:{session.last_synced_at and session.last_synced_at.isoformat()}"
    )
    key = (session.id, sensor_type, points)
    if whole and (kept := db.session.get(ChartSeries, key)) is not None and kept.version == version:
        return _doubles(kept.body)
    body = _reduce(session.id, type_id, points, (start, end), (first, last, total))
    if whole:
        _keep(
            ChartSeries(
                recording_session_id=session.id,
                sensor_type=sensor_type,
                points=points,
                version=version,
                body=body,
            )
        )
    return body


def _doubles(value: Any) -> Any:
    """A kept series as it was computed. JSONB stores numbers as decimals and gives 1e20 back
    as the integer 10**20, which the JSON encoder (64-bit integers) refuses: such integers go
    back to the doubles they were."""
    if isinstance(value, dict):
        return {key: _doubles(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_doubles(item) for item in value]
    if isinstance(value, int) and not in_64_bits(value):
        return float(value)
    return value


def _reduce(
    session_pk: int, type_id: int, points: int, window: tuple, span: tuple
) -> dict[str, Any]:
    fields = chart_fields(session_pk, type_id)
    rows = samples_series.reduced_rows(session_pk, type_id, fields, points, window, span)
    three_axis = all(axis in fields for axis in _AXES)
    return _series_json(fields, rows, three_axis, span[2], span[2] > points)


def _keep(series: ChartSeries) -> None:
    """Store a computed series; losing a race or a lock only costs recomputing it later."""
    try:
        begin_write_transaction()
        db.session.merge(series)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.warning(
            "chart series of session %s not kept", series.recording_session_id, exc_info=True
        )


def warm_session_charts(session_pk: int) -> int:
    """Compute the dashboard's default series of every sensor of a session ahead of a view."""
    session = db.session.get(RecordingSession, session_pk)
    if session is None:
        return 0
    names = [name for _, name in session_sensor_types(session_pk)]
    for name in names:
        sensor_series(session, name)
        session = db.session.get(RecordingSession, session_pk)  # _keep ended the transaction
        if session is None:
            return 0
    return len(names)


def _series_json(
    fields: list[str], rows: list, three_axis: bool, total: int, downsampled: bool
) -> dict[str, Any]:
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in range(len(fields) + 2)]
    values = {name: [_finite(v) for v in columns[1 + i]] for i, name in enumerate(fields)}
    magnitude = None
    if three_axis:
        squared = columns[1 + len(fields)]
        magnitude = [None if s is None else _finite(math.sqrt(float(s))) for s in squared]
    return {
        "fields": fields,
        "t": list(columns[0]) if rows else [],
        "values": values,
        "magnitude": magnitude,
        "total": total,
        "points": len(rows),
        "downsampled": downsampled,
    }


def gps_track(session_pk: int, points: int) -> dict[str, Any]:
    """The GPS path in time order: exact distance over all fixes, at most `points` drawn."""
    type_id = _type_id(session_pk, GPS_SENSOR)
    chunks = []
    if type_id is not None:
        chunks = [
            np.array(chunk, dtype=float) for chunk in samples_series.gps_fixes(session_pk, type_id)
        ]
    fixes = np.concatenate(chunks) if chunks else np.empty((0, 3))
    valid = fixes[np.isfinite(fixes[:, 1]) & np.isfinite(fixes[:, 2])]
    valid = valid[(np.abs(valid[:, 1]) <= 90) & (np.abs(valid[:, 2]) <= 180)]
    distance = path_distance_m(valid[:, 1], valid[:, 2]) if len(valid) else 0.0
    shown = valid
    if len(valid) > points:  # keep the ends; thin the middle evenly
        shown = valid[np.unique(np.linspace(0, len(valid) - 1, points).round().astype(int))]
    return {
        "fixes": int(len(valid)),
        "distance_m": round(distance, 1),
        "t": shown[:, 0].astype(np.int64).tolist(),
        "latitude": shown[:, 1].tolist(),
        "longitude": shown[:, 2].tolist(),
        "downsampled": len(shown) < len(valid),
    }
