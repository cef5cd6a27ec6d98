"""`sensor_data` carries `user_id` in its key, like `sample_chunks`, so that every table holding
samples can be distributed by user.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 15:00:00.000000

The new column is filled from each row's session. The dedup key becomes
(recording_session_id, sensor_type_id, timestamp, user_id): user_id last, so every reader's
range scan over (session, sensor type, timestamp) still walks the same index, and uniqueness
means what it meant (a session belongs to one user). No foreign key: sessions are deleted with
their samples by a trigger, and a per-row check costs ingest throughput.

This rewrites every row of `sensor_data` under a lock: upgrading a server that holds many rows,
first compact them into chunks (`flask db upgrade 0010`, `flask compact-samples`), then upgrade
to the head; compacted sessions hold no rows.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OLD_KEY = "uq_sensor_data_recording_session_id_sensor_type_id_timestamp"
NEW_KEY = "uq_sensor_data_session_type_timestamp_user"
FILL = """
    UPDATE sensor_data SET user_id = (
        SELECT recording_sessions.user_id FROM recording_sessions
        WHERE recording_sessions.id = sensor_data.recording_session_id
    )
"""
# As created by the initial migration.
SQLITE_CASCADE = """
CREATE TRIGGER recording_sessions_delete_samples AFTER DELETE ON recording_sessions
BEGIN
    DELETE FROM sensor_data WHERE recording_session_id = OLD.id;
END
"""
# Rows whose session is gone (none: a trigger deletes them with it) would block NOT NULL.
ORPHANS = "DELETE FROM sensor_data WHERE user_id IS NULL"


def upgrade():
    op.add_column("sensor_data", sa.Column("user_id", sa.Integer(), nullable=True))
    op.execute(FILL)
    op.execute(ORPHANS)
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("sensor_data", "user_id", nullable=False)
        op.create_unique_constraint(
            NEW_KEY, "sensor_data", ["recording_session_id", "sensor_type_id", "timestamp", "user_id"]
        )
        op.drop_constraint(OLD_KEY, "sensor_data", type_="unique")
        return
    # SQLite changes a column or a table constraint by rebuilding the table; the trigger that
    # deletes a session's samples names the table, so it is set aside meanwhile.
    op.execute("DROP TRIGGER recording_sessions_delete_samples")
    with op.batch_alter_table("sensor_data", recreate="always") as batch:
        batch.alter_column("user_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint(OLD_KEY, type_="unique")
        batch.create_unique_constraint(
            NEW_KEY, ["recording_session_id", "sensor_type_id", "timestamp", "user_id"]
        )
    op.execute(SQLITE_CASCADE)


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER recording_sessions_delete_samples")
    with op.batch_alter_table("sensor_data") as batch:
        batch.create_unique_constraint(
            OLD_KEY, ["recording_session_id", "sensor_type_id", "timestamp"]
        )
        batch.drop_constraint(NEW_KEY, type_="unique")
        batch.drop_column("user_id")
    if sqlite:
        op.execute(SQLITE_CASCADE)
