"""debate: annotations gain helpful_count (kept with helpful_marks) and is_answer

Revision ID: 0010_debate
Revises: 0009_readings
Create Date: 2026-11-30 05:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_debate'
down_revision = '0009_readings'
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode: SQLite adds and drops these columns in place, and a batch
# rebuild of `annotations` would drop the search index's triggers (migration 0011).


def upgrade():
    op.add_column(
        'annotations',
        sa.Column('helpful_count', sa.Integer(), server_default=sa.text('0'), nullable=False),
    )
    op.add_column(
        'annotations',
        sa.Column('is_answer', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    )
    # Marks made before the column existed.
    op.execute(
        'UPDATE annotations SET helpful_count = (SELECT count(*) FROM helpful_marks '
        'WHERE helpful_marks.annotation_id = annotations.id)'
    )


def downgrade():
    op.drop_column('annotations', 'is_answer')
    op.drop_column('annotations', 'helpful_count')
