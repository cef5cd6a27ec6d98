"""Small sample chunks: a partial index to find sessions whose small chunks should be merged.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 15:00:00.000000

Pushes write append-only batches straight as chunks of a push's size; compaction merges them.
On PostgreSQL the index is built CONCURRENTLY, so pushes keep writing meanwhile.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SMALL = sa.text("sample_count < 10000")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.create_index(
                "ix_sample_chunks_small",
                "sample_chunks",
                ["recording_session_id", "sensor_type_id"],
                postgresql_where=SMALL,
                postgresql_concurrently=True,
                if_not_exists=True,
            )
        return
    op.create_index(
        "ix_sample_chunks_small",
        "sample_chunks",
        ["recording_session_id", "sensor_type_id"],
        sqlite_where=SMALL,
    )


def downgrade():
    op.drop_index("ix_sample_chunks_small", table_name="sample_chunks")
