"""auth: user_sessions (signed-in devices) and failed_signins (backoff shared by all workers)

Revision ID: 0006_auth
Revises: 0005_harden
Create Date: 2026-11-30 05:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_auth'
down_revision = '0005_harden'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('remember', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('user_agent', sa.String(length=120), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
        sa.UniqueConstraint('secret_hash', name=op.f('uq_user_sessions_secret_hash')),
    )
    op.create_index('ix_user_sessions_user', 'user_sessions', ['user_id', 'ended_at'])
    op.create_table(
        'failed_signins',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account', sa.String(length=64), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('device', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_failed_signins')),
    )
    op.create_index('ix_failed_signins_account', 'failed_signins', ['account', 'created_at'])
    op.create_index('ix_failed_signins_address', 'failed_signins', ['address', 'created_at'])
    op.create_index('ix_failed_signins_created', 'failed_signins', ['created_at'])


def downgrade():
    op.drop_index('ix_failed_signins_created', table_name='failed_signins')
    op.drop_index('ix_failed_signins_address', table_name='failed_signins')
    op.drop_index('ix_failed_signins_account', table_name='failed_signins')
    op.drop_table('failed_signins')
    op.drop_index('ix_user_sessions_user', table_name='user_sessions')
    op.drop_table('user_sessions')
