"""readings: article owners and revisions, retired blocks, orphaned annotations and quote ranges

Revision ID: 0009_readings
Revises: 0007_accounts
Create Date: 2026-11-30 05:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_readings'
down_revision = '0007_accounts'
branch_labels = None
depends_on = None

OLD_KINDS = "'heading','paragraph'"
NEW_KINDS = "'heading','paragraph','item','quote','code','row','caption','note'"


def upgrade():
    op.create_table(
        'article_revisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('markup', sa.String(length=8), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('blocks', sa.JSON(), nullable=False),
        sa.Column('report', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['article_id'], ['articles.id'],
            name=op.f('fk_article_revisions_article_id_articles'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['author_id'], ['users.id'],
            name=op.f('fk_article_revisions_author_id_users'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_article_revisions')),
        sa.UniqueConstraint('article_id', 'number', name='uq_article_revisions_article_number'),
    )
    with op.batch_alter_table('articles') as batch:
        batch.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('revision', sa.Integer(), server_default='0', nullable=False))
        batch.create_foreign_key(
            op.f('fk_articles_owner_id_users'), 'users', ['owner_id'], ['id'], ondelete='SET NULL'
        )
    with op.batch_alter_table('blocks') as batch:
        batch.add_column(
            sa.Column('retired', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        # HTML imports keep lists, quotes, code, table rows, captions and notes as their kinds.
        batch.drop_constraint(op.f('ck_blocks_kind'), type_='check')
        batch.create_check_constraint(op.f('ck_blocks_kind'), f"kind in ({NEW_KINDS})")
    with op.batch_alter_table('annotations') as batch:
        batch.add_column(
            sa.Column('orphaned', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column('quote_start', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('quote_end', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('quote_current', sa.Text(), nullable=True))
    _fill_quote_ranges()


def _fill_quote_ranges():
    """Where each existing quote lies in its block: its first occurrence (posting required one)."""
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT a.id, a.quote_exact, b.text FROM annotations a JOIN blocks b ON b.id = a.block_id "
        "WHERE a.quote_exact IS NOT NULL"
    )).all()
    for note_id, exact, text in rows:
        start = text.find(exact)
        if start >= 0:
            conn.execute(
                sa.text("UPDATE annotations SET quote_start = :s, quote_end = :e WHERE id = :id"),
                {"s": start, "e": start + len(exact), "id": note_id},
            )


def downgrade():
    # Before revisions, a vanished block stayed in the text only while it had annotations.
    op.execute(
        "DELETE FROM blocks WHERE retired = true AND NOT EXISTS "
        "(SELECT 1 FROM annotations a WHERE a.block_id = blocks.id)"
    )
    with op.batch_alter_table('annotations') as batch:
        batch.drop_column('quote_current')
        batch.drop_column('quote_end')
        batch.drop_column('quote_start')
        batch.drop_column('orphaned')
    op.execute(f"UPDATE blocks SET kind = 'paragraph' WHERE kind NOT IN ({OLD_KINDS})")
    with op.batch_alter_table('blocks') as batch:
        batch.drop_constraint(op.f('ck_blocks_kind'), type_='check')
        batch.create_check_constraint(op.f('ck_blocks_kind'), f"kind in ({OLD_KINDS})")
        batch.drop_column('retired')
    with op.batch_alter_table('articles') as batch:
        batch.drop_constraint(op.f('fk_articles_owner_id_users'), type_='foreignkey')
        batch.drop_column('revision')
        batch.drop_column('owner_id')
    op.drop_table('article_revisions')
