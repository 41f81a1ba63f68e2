"""debate: annotations gain helpful_count (kept with helpful_marks) and is_answer

Revision ID: 0010_debate
Revises: 0006_auth
Create Date: 2026-11-30 05:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_debate'
down_revision = '0006_auth'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('helpful_count', sa.Integer(), server_default=sa.text('0'), nullable=False)
        )
        batch_op.add_column(
            sa.Column('is_answer', sa.Boolean(), server_default=sa.text('false'), nullable=False)
        )
    # Marks made before the column existed.
    op.execute(
        'UPDATE annotations SET helpful_count = (SELECT count(*) FROM helpful_marks '
        'WHERE helpful_marks.annotation_id = annotations.id)'
    )


def downgrade():
    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.drop_column('is_answer')
        batch_op.drop_column('helpful_count')
