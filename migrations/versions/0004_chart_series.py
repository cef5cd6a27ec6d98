"""Chart series: whole-session chart data kept between views of the dashboard.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 07:10:00.000000

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "chart_series",
        sa.Column("recording_session_id", sa.Integer(), nullable=False),
        sa.Column("sensor_type", sa.String(length=50), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column(
            "body", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recording_session_id"],
            ["recording_sessions.id"],
            name=op.f("fk_chart_series_recording_session_id_recording_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "recording_session_id", "sensor_type", "points", name=op.f("pk_chart_series")
        ),
    )


def downgrade():
    op.drop_table("chart_series")
