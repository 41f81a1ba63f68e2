"""author index: (author_id, article_id), so a reader's own notes on one article are found
without walking all of their notes

Revision ID: 0013_author_article
Revises: 0012_word_count
Create Date: 2026-11-30 12:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013_author_article'
down_revision = '0012_word_count'
branch_labels = None
depends_on = None


def upgrade():
    # Plain statements, not batch mode: a batch rebuild of `annotations` on SQLite would drop
    # the search index's triggers (0011_insight). The new index serves every author_id lookup
    # the old one did, so the old one goes.
    op.create_index('ix_annotations_author_article', 'annotations', ['author_id', 'article_id'])
    op.drop_index('ix_annotations_author', table_name='annotations')


def downgrade():
    op.create_index('ix_annotations_author', 'annotations', ['author_id'])
    op.drop_index('ix_annotations_author_article', table_name='annotations')
