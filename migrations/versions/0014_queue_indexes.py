"""queue indexes: held notes and open flags, partial, so the header's moderation counts read
the queues and not every note and flag

Revision ID: 0014_queue_indexes
Revises: 0013_author_article
Create Date: 2026-11-30 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_queue_indexes'
down_revision = '0013_author_article'
branch_labels = None
depends_on = None


def upgrade():
    # Plain statements, not batch mode (see 0013_author_article: a batch rebuild of
    # `annotations` on SQLite would drop the search index's triggers).
    op.create_index(
        'ix_annotations_held', 'annotations', ['group_id'],
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        'ix_flags_open', 'flags', ['annotation_id'],
        postgresql_where=sa.text('resolved_at IS NULL'),
        sqlite_where=sa.text('resolved_at IS NULL'),
    )


def downgrade():
    op.drop_index('ix_flags_open', table_name='flags')
    op.drop_index('ix_annotations_held', table_name='annotations')
