"""Sensor type names ↔ ids (see `SensorType` for why samples store an id)."""

from __future__ import annotations

import orjson
from sqlalchemy import select, text

from app.extensions import db
from app.models import SensorType

# Insert only names not yet known: an id is never spent on a name that already exists.
_ADD_MISSING = text(
    """
    INSERT INTO sensor_types (name)
    SELECT DISTINCT incoming.value FROM json_each(:names) AS incoming
    WHERE NOT EXISTS (SELECT 1 FROM sensor_types WHERE name = incoming.value)
    ON CONFLICT (name) DO NOTHING
    """
)
_ADD_MISSING_PG = text(
    """
    INSERT INTO sensor_types (name)
    SELECT DISTINCT incoming.name FROM unnest(CAST(:names AS text[])) AS incoming(name)
    WHERE NOT EXISTS (SELECT 1 FROM sensor_types WHERE sensor_types.name = incoming.name)
    ORDER BY incoming.name  -- one order for every writer: no deadlock between two new names
    ON CONFLICT (name) DO NOTHING
    """
)

# The distinct types of one session, walking the dedup index (one probe per type) instead of
# reading every sample, and those of its chunks.
_SESSION_TYPES = text(
    """
    WITH RECURSIVE present(id) AS (
        SELECT min(sensor_type_id) FROM sensor_data WHERE recording_session_id = :session
        UNION ALL
        SELECT (SELECT min(sensor_type_id) FROM sensor_data
                WHERE recording_session_id = :session AND sensor_type_id > present.id)
        FROM present WHERE present.id IS NOT NULL
    )
    SELECT sensor_types.id, sensor_types.name FROM sensor_types
    WHERE sensor_types.id IN (SELECT id FROM present)
       OR sensor_types.id IN (SELECT sensor_type_id FROM sample_chunks
                              WHERE recording_session_id = :session)
    ORDER BY sensor_types.name
    """
)


def ensure_sensor_types(names: set[str]) -> dict[str, int]:
    """The id of every name, adding names not seen before (in the caller's transaction)."""
    if not names:
        return {}
    connection = db.session.connection()
    known_names = select(SensorType.name, SensorType.id).where(SensorType.name.in_(names))
    known = dict(connection.execute(known_names).all())
    if len(known) == len(names):  # the usual case: a handful of names, all seen before
        return known
    if connection.dialect.name == "postgresql":
        connection.execute(_ADD_MISSING_PG, {"names": sorted(names)})
    else:
        connection.execute(_ADD_MISSING, {"names": orjson.dumps(sorted(names)).decode()})
    return dict(connection.execute(known_names).all())


def session_sensor_types(session_pk: int) -> list[tuple[int, str]]:
    """`(id, name)` of the sensor types a session holds samples of, ordered by name."""
    return [tuple(row) for row in db.session.execute(_SESSION_TYPES, {"session": session_pk})]
