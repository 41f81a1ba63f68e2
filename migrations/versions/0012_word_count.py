"""word count: annotations.word_count, kept with the body so participation sums it in SQL, and
an index holding every column class insight reads of a group's notes

Revision ID: 0012_word_count
Revises: 0011_insight
Create Date: 2026-11-30 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_word_count'
down_revision = '0011_insight'
branch_labels = None
depends_on = None

BATCH = 2000
# Leads with the group and status every insight query filters on; the rest lets SQLite and
# PostgreSQL answer from the index alone (app/models/annotation.py says why).
GROUP_ACTIVITY_COLUMNS = [
    'group_id', 'status', 'author_id', 'kind', 'article_id', 'created_at', 'word_count',
    'parent_id', 'block_id', 'reply_count',
]


def count_words(body: str) -> int:
    # A frozen copy of app.text.count_words as of this revision (a test checks they agree):
    # Python's str.split, which no SQL function reproduces for every Unicode space, so the
    # backfill reads the bodies here.
    return len(body.split())


def upgrade():
    # Plain ALTER TABLE, not batch mode: a batch rebuild of `annotations` on SQLite would drop
    # the search index's triggers (0011_insight); adding a column and an index keeps them.
    op.add_column(
        'annotations',
        sa.Column('word_count', sa.Integer(), server_default=sa.text('0'), nullable=False),
    )
    backfill(op.get_bind())
    op.create_index('ix_annotations_group_activity', 'annotations', GROUP_ACTIVITY_COLUMNS)


def backfill(conn: sa.engine.Connection) -> None:
    """Every existing note's count, in id order and batches (a large table never sits in
    memory); a note of no words keeps the default 0."""
    notes = sa.table('annotations', sa.column('id'), sa.column('body'), sa.column('word_count'))
    update = (
        sa.update(notes)
        .where(notes.c.id == sa.bindparam('note_id'))
        .values(word_count=sa.bindparam('words'))
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(notes.c.id, notes.c.body)
            .where(notes.c.id > last)
            .order_by(notes.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        counted = [{'note_id': i, 'words': count_words(body)} for i, body in rows]
        counted = [c for c in counted if c['words']]
        if counted:
            conn.execute(update, counted)
        last = rows[-1][0]


def downgrade():
    op.drop_index('ix_annotations_group_activity', table_name='annotations')
    op.drop_column('annotations', 'word_count')
