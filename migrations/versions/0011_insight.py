"""Full-text search: FTS5 tables kept by triggers (SQLite), generated tsvectors + GIN (PostgreSQL)

The index is maintained by the database itself, so every write path (posting, editing,
moderation, deleting, article revisions, restores) keeps it right without knowing it exists.
On SQLite, a later batch migration that recreates `annotations` or `blocks` drops their
triggers: such a migration must call `create_sqlite_search_index` again (a test checks that
the triggers exist at head).

Revision ID: 0011_insight
Revises: 0010_debate
Create Date: 2026-11-30 05:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011_insight'
down_revision = '0010_debate'
branch_labels = None
depends_on = None

# (FTS table, content table, indexed column)
SQLITE_INDEXES = (('annotations_fts', 'annotations', 'body'), ('blocks_fts', 'blocks', 'text'))


def create_sqlite_search_index(table: str, content: str, column: str) -> None:
    """An external-content FTS5 table over content.column, and the triggers that keep it."""
    op.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5({column}, content='{content}', "
        f"content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
    )
    op.execute(
        f"CREATE TRIGGER IF NOT EXISTS {table}_ai AFTER INSERT ON {content} BEGIN "
        f"INSERT INTO {table}(rowid, {column}) VALUES (new.id, new.{column}); END"
    )
    op.execute(
        f"CREATE TRIGGER IF NOT EXISTS {table}_ad AFTER DELETE ON {content} BEGIN "
        f"INSERT INTO {table}({table}, rowid, {column}) VALUES ('delete', old.id, old.{column}); "
        "END"
    )
    op.execute(
        f"CREATE TRIGGER IF NOT EXISTS {table}_au AFTER UPDATE OF {column} ON {content} BEGIN "
        f"INSERT INTO {table}({table}, rowid, {column}) VALUES ('delete', old.id, old.{column}); "
        f"INSERT INTO {table}(rowid, {column}) VALUES (new.id, new.{column}); END"
    )
    op.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for table, content, column in SQLITE_INDEXES:
            create_sqlite_search_index(table, content, column)
    else:
        # A stored generated tsvector: ranking reads it instead of parsing every match again.
        for table, column in (('annotations', 'body'), ('blocks', 'text')):
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
                f"(to_tsvector('english'::regconfig, {column})) STORED"
            )
        op.execute(
            "CREATE INDEX ix_annotations_body_fts ON annotations USING gin (search_vector)"
        )
        op.execute("CREATE INDEX ix_blocks_text_fts ON blocks USING gin (search_vector)")


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for table, _content, _column in SQLITE_INDEXES:
            for suffix in ('ai', 'ad', 'au'):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {table}")
    else:
        op.execute("DROP INDEX IF EXISTS ix_blocks_text_fts")
        op.execute("DROP INDEX IF EXISTS ix_annotations_body_fts")
        op.execute("ALTER TABLE blocks DROP COLUMN IF EXISTS search_vector")
        op.execute("ALTER TABLE annotations DROP COLUMN IF EXISTS search_vector")
