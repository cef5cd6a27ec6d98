"""Sample fields: the distinct top-level data keys of each session and sensor type.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-02 09:00:00.000000

Filled from the stored samples in one set-based statement per dialect. Ids give the order in
which readers that must leave keys out keep them: here, per session, the most used keys first
(then the earliest, then by name), so a session filled with one-off keys before the caps keeps
its real fields; keys that arrive later come after them. Keys longer than 255 characters
(possible only before the caps) cannot be indexed and are left out: they no longer become
columns.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None

_PG_BACKFILL = """
INSERT INTO sample_fields (recording_session_id, sensor_type_id, name)
SELECT recording_session_id, sensor_type_id, name
FROM (
    SELECT d.recording_session_id, d.sensor_type_id, k.name,
           count(*) AS uses, min(d.timestamp) AS first_seen
    FROM sensor_data AS d CROSS JOIN LATERAL jsonb_object_keys(d.data) AS k(name)
    WHERE jsonb_typeof(d.data) = 'object' AND length(k.name) <= 255
      AND d.recording_session_id IN (SELECT id FROM recording_sessions)
    GROUP BY d.recording_session_id, d.sensor_type_id, k.name
) AS found
ORDER BY recording_session_id, uses DESC, first_seen, sensor_type_id, name
"""

_SQLITE_BACKFILL = """
INSERT INTO sample_fields (recording_session_id, sensor_type_id, name)
SELECT recording_session_id, sensor_type_id, name
FROM (
    SELECT d.recording_session_id, d.sensor_type_id, j.key AS name,
           count(*) AS uses, min(d.timestamp) AS first_seen
    FROM sensor_data AS d, json_each(d.data) AS j
    WHERE json_type(d.data) = 'object' AND length(j.key) <= 255
      AND d.recording_session_id IN (SELECT id FROM recording_sessions)
    GROUP BY d.recording_session_id, d.sensor_type_id, j.key
) AS found
ORDER BY recording_session_id, uses DESC, first_seen, sensor_type_id, name
"""


def upgrade():
    op.create_table(
        "sample_fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_session_id", sa.Integer(), nullable=False),
        sa.Column("sensor_type_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["recording_session_id"],
            ["recording_sessions.id"],
            name=op.f("fk_sample_fields_recording_session_id_recording_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample_fields")),
        sa.UniqueConstraint(
            "recording_session_id",
            "sensor_type_id",
            "name",
            name=op.f("uq_sample_fields_recording_session_id_sensor_type_id_name"),
        ),
    )
    backfill = _PG_BACKFILL if op.get_bind().dialect.name == "postgresql" else _SQLITE_BACKFILL
    op.execute(backfill)


def downgrade():
    op.drop_table("sample_fields")
