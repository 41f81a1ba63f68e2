"""helpful_marks: one reader's mark that an annotation helped, once per reader per annotation

Revision ID: 0004_helpful_marks
Revises: 0003_discussion_version
Create Date: 2026-11-30 05:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_helpful_marks'
down_revision = '0003_discussion_version'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'helpful_marks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('annotation_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['annotation_id'], ['annotations.id'],
            name=op.f('fk_helpful_marks_annotation_id_annotations'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_helpful_marks_user_id_users'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_helpful_marks')),
        sa.UniqueConstraint(
            'annotation_id', 'user_id', name='uq_helpful_marks_annotation_user'
        ),
    )
    op.create_index('ix_helpful_marks_user', 'helpful_marks', ['user_id'], unique=False)


def downgrade():
    op.drop_index('ix_helpful_marks_user', table_name='helpful_marks')
    op.drop_table('helpful_marks')
