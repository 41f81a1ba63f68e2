"""Full-text search over annotations and article text: SQLite FTS5 or PostgreSQL, one interface.

The index itself is the database's (migration 0011): FTS5 tables kept by triggers on SQLite,
GIN expression indexes on PostgreSQL. Every write path keeps it right without knowing of it;
what a caller may find is decided at query time, by permissions.visible_annotations and by
searching visible bodies only (a held, hidden or deleted body is never matched or quoted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    bindparam,
    func,
    literal_column,
    select,
    text,
)

from app import permissions
from app.extensions import db
from app.models import Annotation, Article, Block, Group, User
from app.services import reading
from app.services.errors import ValidationFailed
from app.services.users import normalise_username
from app.text import SNIPPET_CLOSE, SNIPPET_OPEN, render_snippet

MAX_QUERY = 200
MAX_TERMS = 12
# Tables, indexes and columns the migration makes outside the models (autogenerate leaves them
# be): FTS5 tables on SQLite; on PostgreSQL a generated `search_vector` column with a GIN index.
SEARCH_TABLES = ("annotations_fts", "blocks_fts")
SEARCH_INDEXES = ("ix_annotations_body_fts", "ix_blocks_text_fts")
SEARCH_COLUMN = "search_vector"
_WORD = re.compile(r"\w+")
_CONFIG = literal_column("'english'::regconfig")  # as in the index, so PostgreSQL uses it


def is_search_object(name: str | None, kind: str = "table") -> bool:
    """Whether a table, index or column belongs to the search index (for Alembic's
    autogenerate, whose include_name hook passes the same name and kind)."""
    if not name:
        return False
    if kind == "column":
        return name == SEARCH_COLUMN
    return name.startswith(SEARCH_TABLES) or name in SEARCH_INDEXES


@dataclass(frozen=True)
class SearchFilter:
    """Narrowing a search; None means 'any'. Dates are whole UTC days, both ends included."""

    article: str | None = None  # a slug
    anchor: str | None = None  # a block's anchor (with `article`)
    kind: str | None = None
    author: str | None = None  # a username
    group: str | None = None  # a group slug
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class Hit:
    annotation: Annotation
    snippet: str  # safe HTML, matched words in <mark>


@dataclass(frozen=True)
class Passage:
    article: Article
    block: Block
    snippet: str


def has_words(query: str) -> bool:
    """Whether `query` has a word to search for (else search_terms refuses it)."""
    return _WORD.search(query) is not None


def search_terms(query: str) -> list[str]:
    """The words of a query: FTS syntax (quotes, *, NEAR, AND, :) is read as plain text."""
    cleaned = query.strip()
    if not cleaned:
        raise ValidationFailed("Type something to search for.", {"q": "Type a word or two."})
    if len(cleaned) > MAX_QUERY:
        raise ValidationFailed("The search is too long.", {"q": f"At most {MAX_QUERY} characters."})
    terms = _WORD.findall(cleaned)[:MAX_TERMS]
    if not terms:
        raise ValidationFailed("Search for words, not only punctuation.", {"q": "Type a word."})
    return terms


def _sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def _fts_expression(terms: list[str]) -> str:
    # Each word quoted: FTS5 reads it as a string, never as an operator (NEAR, AND, col:).
    return " ".join(f'"{t}"' for t in terms)


def _matches(table: str, content: Any, column: Any, terms: list[str]) -> Any:
    """A subquery (id, rank) of the rows whose `column` matches every term; higher ranks first."""
    if _sqlite():
        return (
            text(f"SELECT rowid AS id, -bm25({table}) AS rank FROM {table} WHERE {table} MATCH :q")  # noqa: S608  # nosec B608 - table is a constant
            .bindparams(q=_fts_expression(terms))
            .columns(id=Integer, rank=Float)
            .subquery(f"{table}_hits")
        )
    vector = literal_column(f"{content.__tablename__}.{SEARCH_COLUMN}")
    query = func.plainto_tsquery(_CONFIG, " ".join(terms))
    return (
        select(content.id.label("id"), func.ts_rank(vector, query).label("rank"))
        .where(vector.op("@@")(query))
        .subquery(f"{table}_hits")
    )


def _snippets(
    table: str, content: Any, column: Any, terms: list[str], ids: list[int]
) -> dict[int, str]:
    """{id: snippet HTML} for the rows shown: drawn for a page, not for every match."""
    if not ids:
        return {}
    if _sqlite():
        stmt = text(
            f"SELECT rowid, snippet({table}, 0, :open, :close, '…', 24) FROM {table} "  # noqa: S608  # nosec B608 - table is a constant
            f"WHERE {table} MATCH :q AND rowid IN :ids"
        ).bindparams(bindparam("ids", expanding=True))
        params = {"open": SNIPPET_OPEN, "close": SNIPPET_CLOSE, "q": _fts_expression(terms)}
        rows = db.session.execute(stmt.columns(rowid=Integer, s=String), {**params, "ids": ids})
    else:
        headline = func.ts_headline(
            _CONFIG,
            column,
            func.plainto_tsquery(_CONFIG, " ".join(terms)),
            f"StartSel={SNIPPET_OPEN}, StopSel={SNIPPET_CLOSE}, MaxWords=30, MinWords=12, "
            "MaxFragments=2, FragmentDelimiter=…",
        )
        rows = db.session.execute(select(content.id, headline).where(content.id.in_(ids)))
    return {row[0]: render_snippet(row[1] or "") for row in rows}


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _filtered(stmt: Select[Any], where: SearchFilter) -> Select[Any]:
    conditions: list[ColumnElement[bool]] = []
    if where.article is not None:
        conditions.append(Article.slug == where.article)
    if where.anchor is not None:
        conditions.append(Block.anchor == where.anchor)
    if where.kind is not None:
        conditions.append(Annotation.kind == where.kind)
    if where.author is not None:
        conditions.append(User.username == normalise_username(where.author))
    if where.group is not None:
        conditions.append(Group.slug == where.group)
    if where.since is not None:
        conditions.append(Annotation.created_at >= _day_start(where.since))
    if where.until is not None:
        conditions.append(Annotation.created_at < _day_start(where.until + timedelta(days=1)))
    return stmt.where(*conditions)


def searchable_annotations(user: Any) -> ColumnElement[bool]:
    """What a search may match for `user`: what they may see, with a body everyone sees."""
    return permissions.counted_annotations(user)


def search_annotations(
    user: Any, query: str, where: SearchFilter, offset: int = 0, limit: int = 50
) -> list[Hit]:
    """The annotations `user` may see that match `query`, best first (two statements)."""
    terms = search_terms(query)
    hits = _matches("annotations_fts", Annotation, Annotation.body, terms)
    stmt = (
        reading.with_context(select(Annotation).join(hits, hits.c.id == Annotation.id))
        .where(searchable_annotations(user))
        .order_by(hits.c.rank.desc(), Annotation.id.desc())
        .offset(offset)
        .limit(limit)
    )
    found = list(db.session.scalars(_filtered(stmt, where)))
    snippets = _snippets(
        "annotations_fts", Annotation, Annotation.body, terms, [a.id for a in found]
    )
    return [Hit(a, snippets.get(a.id, "")) for a in found]


def search_passages(query: str, article: str | None = None, limit: int = 10) -> list[Passage]:
    """Blocks of article text that match `query`, best first (articles are public)."""
    terms = search_terms(query)
    hits = _matches("blocks_fts", Block, Block.text, terms)
    stmt = (
        select(Block, Article)
        .join(hits, hits.c.id == Block.id)
        .join(Article, Article.id == Block.article_id)
        # The current revision's text only: a retired block was revised away.
        .where(Block.retired.is_(False))
        .order_by(hits.c.rank.desc(), Block.id)
        .limit(limit)
    )
    if article is not None:
        stmt = stmt.where(Article.slug == article)
    rows = db.session.execute(stmt).all()
    snippets = _snippets("blocks_fts", Block, Block.text, terms, [b.id for b, _ in rows])
    return [Passage(a, b, snippets.get(b.id, "")) for b, a in rows]
