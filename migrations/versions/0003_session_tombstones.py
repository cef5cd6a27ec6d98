"""Session tombstones: deletions that pull hands to the user's other devices.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 05:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "session_tombstones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=100), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_session_tombstones_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_tombstones")),
    )
    with op.batch_alter_table("session_tombstones", schema=None) as batch_op:
        batch_op.create_index(
            "ix_session_tombstones_user_deleted", ["user_id", "deleted_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("session_tombstones", schema=None) as batch_op:
        batch_op.drop_index("ix_session_tombstones_user_deleted")
    op.drop_table("session_tombstones")
