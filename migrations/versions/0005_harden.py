"""request_keys: a keyed POST (Idempotency-Key, form nonce) is answered once and replayed

Revision ID: 0005_harden
Revises: 0004_helpful_marks
Create Date: 2026-11-30 05:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_harden'
down_revision = '0004_helpful_marks'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'request_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=40), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('claim', sa.String(length=32), nullable=False),
        sa.Column('status', sa.Integer(), nullable=True),
        sa.Column('location', sa.String(length=2000), nullable=True),
        sa.Column('body', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_request_keys')),
        sa.UniqueConstraint('scope', 'key', name='uq_request_keys_scope_key'),
    )
    op.create_index('ix_request_keys_created_at', 'request_keys', ['created_at'], unique=False)


def downgrade():
    op.drop_index('ix_request_keys_created_at', table_name='request_keys')
    op.drop_table('request_keys')
