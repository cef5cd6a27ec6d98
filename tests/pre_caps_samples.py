"""Data as an upgrade finds it: samples stored before the key caps existed.

The schema is taken back to the revision before `sample_fields`, the samples are written
straight into `sensor_data` (below every ingest check, as the old server stored them), and
the schema is upgraded again, so the migration's backfill registers their keys exactly as it
would in production.
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import insert, select

from app.clock import utcnow
from app.extensions import db
from app.models import RecordingSession, SensorData
from app.recordings.samples.sensor_types import ensure_sensor_types

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
SAMPLE_FIELDS_REVISION = "0006"


def revision_before_sample_fields() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_revision(SAMPLE_FIELDS_REVISION).down_revision


def stored_before_the_caps(app, session_id: str, samples: list[dict]) -> int:
    """Write `samples` into an existing session as the server did before the caps, then
    upgrade. Returns the session's primary key."""
    with app.app_context():
        db.session.remove()
        downgrade(revision=revision_before_sample_fields())
        try:
            pk = db.session.scalar(
                select(RecordingSession.id).where(RecordingSession.session_id == session_id)
            )
            type_ids = ensure_sensor_types({s["sensor_type"] for s in samples})
            now = utcnow()
            rows = [
                {
                    "recording_session_id": pk,
                    "sensor_type_id": type_ids[s["sensor_type"]],
                    "timestamp": s["timestamp"],
                    "data": s["data"],
                    "created_at": now,
                    "updated_at": now,
                }
                for s in samples
            ]
            if rows:
                db.session.execute(insert(SensorData), rows)
            db.session.commit()
        finally:
            db.session.remove()
            upgrade()
    return pk
