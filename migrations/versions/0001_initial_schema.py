"""Initial schema: users, recording sessions, sensor types and data, sync logs, revoked tokens.

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 04:12:18.023634

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('revoked_tokens',
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('jti', name=op.f('pk_revoked_tokens'))
    )
    with op.batch_alter_table('revoked_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revoked_tokens_expires_at'), ['expires_at'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('device_id', sa.String(length=255), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('recording_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.String(length=100), nullable=False),
    sa.Column('start_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('enabled_sensors', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('sample_rate', sa.Float(), nullable=True),
    sa.Column('data_count', sa.BigInteger(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('is_uploaded', sa.Boolean(), nullable=False),
    sa.Column('last_synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recording_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recording_sessions')),
    sa.UniqueConstraint('user_id', 'session_id', name=op.f('uq_recording_sessions_user_id_session_id'))
    )
    with op.batch_alter_table('recording_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_recording_sessions_user_changes', ['user_id', 'updated_at', 'id'], unique=False)

    op.create_table('sensor_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sensor_types')),
    sa.UniqueConstraint('name', name=op.f('uq_sensor_types_name'))
    )
    op.create_table('sensor_data',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recording_session_id', sa.Integer(), nullable=False),
    sa.Column('sensor_type_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sensor_data')),
    sa.UniqueConstraint('recording_session_id', 'sensor_type_id', 'timestamp', name=op.f('uq_sensor_data_recording_session_id_sensor_type_id_timestamp'))
    )
    _create_sample_cascade()
    op.create_table('sync_logs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('recording_session_id', sa.Integer(), nullable=True),
    sa.Column('sync_type', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('records_count', sa.Integer(), nullable=False),
    sa.Column('duplicates_count', sa.Integer(), nullable=False),
    sa.Column('errors_count', sa.Integer(), nullable=False),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['recording_session_id'], ['recording_sessions.id'], name=op.f('fk_sync_logs_recording_session_id_recording_sessions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sync_logs_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_logs'))
    )
    with op.batch_alter_table('sync_logs', schema=None) as batch_op:
        batch_op.create_index('ix_sync_logs_user_recent', ['user_id', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('sync_logs', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_logs_user_recent')

    op.drop_table('sync_logs')
    _drop_sample_cascade()
    op.drop_table('sensor_data')
    op.drop_table('sensor_types')
    with op.batch_alter_table('recording_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_recording_sessions_user_changes')

    op.drop_table('recording_sessions')
    op.drop_table('users')
    with op.batch_alter_table('revoked_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revoked_tokens_expires_at'))

    op.drop_table('revoked_tokens')


# Samples of a deleted session are deleted by a trigger rather than by a foreign key: the
# foreign key's per-row check on every inserted sample cost almost half of the ingest time
# (bench/push_bench.py: 85k vs 155k samples/s). Samples are only written while the session row
# is locked (app/recordings/last_write_wins.py), so the reference cannot break on the way in.
_PG_CASCADE = """
CREATE FUNCTION delete_samples_of_deleted_sessions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM sensor_data WHERE recording_session_id IN (SELECT id FROM deleted_sessions);
    RETURN NULL;
END $$;
CREATE TRIGGER recording_sessions_delete_samples
    AFTER DELETE ON recording_sessions REFERENCING OLD TABLE AS deleted_sessions
    FOR EACH STATEMENT EXECUTE FUNCTION delete_samples_of_deleted_sessions();
"""
_SQLITE_CASCADE = """
CREATE TRIGGER recording_sessions_delete_samples AFTER DELETE ON recording_sessions
BEGIN
    DELETE FROM sensor_data WHERE recording_session_id = OLD.id;
END
"""


def _create_sample_cascade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_CASCADE)
    else:
        op.execute(_SQLITE_CASCADE)


def _drop_sample_cascade():
    op.execute("DROP TRIGGER IF EXISTS recording_sessions_delete_samples"
               + (" ON recording_sessions" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS delete_samples_of_deleted_sessions()")
