"""Audio recordings of sessions, and the app's resumable (chunked) uploads.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 08:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC_DATETIME = sa.DateTime(timezone=True)


def _audio_recordings() -> None:
    op.create_table(
        "audio_recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("recording_session_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_path", sa.String(length=255), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("mime_type", sa.String(length=50), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("sample_rate", sa.Integer(), nullable=True),
        sa.Column("channels", sa.Integer(), nullable=True),
        sa.Column("started_at", UTC_DATETIME, nullable=True),
        sa.Column("client_timestamp_ms", sa.BigInteger(), nullable=True),
        sa.Column("client_format", sa.String(length=20), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_audio_recordings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recording_session_id"],
            ["recording_sessions.id"],
            name=op.f("fk_audio_recordings_recording_session_id_recording_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audio_recordings")),
        sa.UniqueConstraint(
            "recording_session_id",
            "sha256",
            name=op.f("uq_audio_recordings_recording_session_id_sha256"),
        ),
    )
    op.create_index(
        op.f("ix_audio_recordings_user_id"), "audio_recordings", ["user_id"], unique=False
    )
    op.create_index(
        op.f("ix_audio_recordings_recording_session_id"),
        "audio_recordings",
        ["recording_session_id"],
        unique=False,
    )


def _chunked_uploads() -> None:
    op.create_table(
        "chunked_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("upload_key", sa.String(length=100), nullable=False),
        sa.Column("total_chunks", sa.Integer(), nullable=False),
        sa.Column("meta", JSON_DOCUMENT, nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("result", JSON_DOCUMENT, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_chunked_uploads_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chunked_uploads")),
        sa.UniqueConstraint(
            "user_id", "upload_key", name=op.f("uq_chunked_uploads_user_id_upload_key")
        ),
    )
    op.create_index(
        op.f("ix_chunked_uploads_expires_at"), "chunked_uploads", ["expires_at"], unique=False
    )
    op.create_table(
        "chunked_upload_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chunked_upload_id", sa.Integer(), nullable=False),
        sa.Column("chunk_number", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("received_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["chunked_upload_id"],
            ["chunked_uploads.id"],
            name=op.f("fk_chunked_upload_parts_chunked_upload_id_chunked_uploads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chunked_upload_parts")),
        sa.UniqueConstraint(
            "chunked_upload_id",
            "chunk_number",
            name=op.f("uq_chunked_upload_parts_chunked_upload_id_chunk_number"),
        ),
    )


def upgrade():
    _audio_recordings()
    _chunked_uploads()


def downgrade():
    op.drop_table("chunked_upload_parts")
    op.drop_index(op.f("ix_chunked_uploads_expires_at"), table_name="chunked_uploads")
    op.drop_table("chunked_uploads")
    op.drop_index(op.f("ix_audio_recordings_recording_session_id"), table_name="audio_recordings")
    op.drop_index(op.f("ix_audio_recordings_user_id"), table_name="audio_recordings")
    op.drop_table("audio_recordings")
