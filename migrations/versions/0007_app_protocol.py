"""The app protocol: display names, and session fields the KooDTX app sends.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 08:00:00.000000

Additive only (nullable columns or server defaults), so a running server of the previous
revision keeps working while this one is applied.

- users.display_name: the `name` the app registers with.
- recording_sessions.device_id, client_metadata, has_audio: what `src/api/sessions.ts` sends.
- recording_sessions.provisional: created by samples that arrived before their session; the
  session's own upload clears it.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade():
    # Plain ADD COLUMN, never batch mode: on SQLite a batch operation rebuilds the table and
    # would drop the trigger that deletes a deleted session's samples (0001).
    op.add_column("users", sa.Column("display_name", sa.String(length=100), nullable=True))
    op.add_column("recording_sessions", sa.Column("device_id", sa.String(length=255), nullable=True))
    op.add_column("recording_sessions", sa.Column("client_metadata", _JSON, nullable=True))
    for flag in ("has_audio", "provisional"):
        op.add_column(
            "recording_sessions",
            sa.Column(flag, sa.Boolean(), nullable=False, server_default=sa.false()),
        )


def downgrade():
    # DROP COLUMN (SQLite 3.35+) keeps the table and its trigger.
    for column in ("provisional", "has_audio", "client_metadata", "device_id"):
        op.drop_column("recording_sessions", column)
    op.drop_column("users", "display_name")
