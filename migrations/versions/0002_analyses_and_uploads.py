"""Session analyses and uploads: results of background analysis, chunked file imports.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 05:00:00.000000

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "session_analyses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_session_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("parameters", JSON_DOCUMENT, nullable=False),
        sa.Column("result", JSON_DOCUMENT, nullable=True),
        sa.Column("task_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("source_updated_at", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("completed_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["recording_session_id"],
            ["recording_sessions.id"],
            name=op.f("fk_session_analyses_recording_session_id_recording_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_analyses")),
    )
    with op.batch_alter_table("session_analyses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_session_analyses_task_id_kind", ["task_id", "kind"], unique=True
        )
        batch_op.create_index(
            "ix_session_analyses_session_kind",
            ["recording_session_id", "kind", "id"],
            unique=False,
        )

    op.create_table(
        "uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("recording_session_id", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.String(length=100), nullable=False),
        sa.Column("session_meta", JSON_DOCUMENT, nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("stored_path", sa.String(length=1024), nullable=False),
        sa.Column("file_format", sa.String(length=10), nullable=False),
        sa.Column("compressed", sa.Boolean(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lines_total", sa.BigInteger(), nullable=True),
        sa.Column("lines_processed", sa.BigInteger(), nullable=False),
        sa.Column("total_records", sa.BigInteger(), nullable=False),
        sa.Column("inserted", sa.BigInteger(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.Column("duplicates", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.Column("error_details", JSON_DOCUMENT, nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=True),
        sa.Column("completed_at", UTC_DATETIME, nullable=True),
        sa.Column("file_deleted_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["recording_session_id"],
            ["recording_sessions.id"],
            name=op.f("fk_uploads_recording_session_id_recording_sessions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_uploads_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uploads")),
    )
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.create_index("ix_uploads_user_recent", ["user_id", "id"], unique=False)
        batch_op.create_index("ix_uploads_task_id", ["task_id"], unique=False)


def downgrade():
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_index("ix_uploads_task_id")
        batch_op.drop_index("ix_uploads_user_recent")
    op.drop_table("uploads")
    with op.batch_alter_table("session_analyses", schema=None) as batch_op:
        batch_op.drop_index("ix_session_analyses_session_kind")
        batch_op.drop_index("ix_session_analyses_task_id_kind")
    op.drop_table("session_analyses")
