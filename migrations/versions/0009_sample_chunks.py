"""Sample chunks: compressed column chunks of samples (docs/storage.md).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 11:00:00.000000

Only adds a table: rows move into it with `flask compact-samples` and the compaction tasks,
while pushes and pulls keep working.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC_DATETIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "sample_chunks",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("recording_session_id", sa.Integer(), nullable=False),
        sa.Column("sensor_type_id", sa.Integer(), nullable=False),
        sa.Column("first_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("last_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("sample_count", sa.Integer(), nullable=False),
        sa.Column("max_updated_at", UTC_DATETIME, nullable=False),
        sa.Column("field_ranges", JSON_DOCUMENT, nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("stamps", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_sample_chunks_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recording_session_id"],
            ["recording_sessions.id"],
            name=op.f("fk_sample_chunks_recording_session_id_recording_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample_chunks")),
        sa.UniqueConstraint(
            "user_id",
            "recording_session_id",
            "sensor_type_id",
            "first_timestamp",
            name="uq_sample_chunks_user_session_type_first",
        ),
    )
    op.create_index(
        "ix_sample_chunks_session_span",
        "sample_chunks",
        ["recording_session_id", "sensor_type_id", "first_timestamp"],
        unique=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        # The payload is compressed already: TOAST would only spend time trying again.
        op.execute("ALTER TABLE sample_chunks ALTER COLUMN payload SET STORAGE EXTERNAL")
        op.execute("ALTER TABLE sample_chunks ALTER COLUMN stamps SET STORAGE EXTERNAL")


def downgrade():
    op.drop_index("ix_sample_chunks_session_span", table_name="sample_chunks")
    op.drop_table("sample_chunks")
