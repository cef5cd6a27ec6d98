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
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("display_name", sa.String(length=100), nullable=True))
    with op.batch_alter_table("recording_sessions") as batch:
        batch.add_column(sa.Column("device_id", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("client_metadata", _JSON, nullable=True))
        batch.add_column(
            sa.Column("has_audio", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("provisional", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("recording_sessions") as batch:
        batch.drop_column("provisional")
        batch.drop_column("has_audio")
        batch.drop_column("client_metadata")
        batch.drop_column("device_id")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("display_name")
