"""Read queries for articles and discussions, each a fixed number of SQL statements."""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import contains_eager

from app import permissions
from app.extensions import db
from app.models import Annotation, AnnotationStatus, Article, Block, Group, User, Visibility
from app.services.errors import NotFound
from app.services.users import normalise_username

PREVIEW_THREADS = 3


class Sort(enum.StrEnum):
    """How a list of notes is ordered (CONTRACT §7); the instructor's picks always come first."""

    HELPFUL = "helpful"
    NEWEST = "newest"
    OLDEST = "oldest"
    DOCUMENT = "document"  # reading order of the quote: block, then where the quote starts


SORT_LABELS = {
    Sort.OLDEST: "Oldest first",
    Sort.NEWEST: "Newest first",
    Sort.HELPFUL: "Most helpful",
    Sort.DOCUMENT: "Reading order",
}


def _quote_start(note: Any, block_text: str) -> int:
    """Where the note's quote starts in its block; a note on the whole block comes first."""
    if not note.quote_exact:
        return -1
    found = block_text.find(note.quote_exact)
    return found if found >= 0 else len(block_text)


def sort_key(sort: Sort, position: int = 0, block_text: str = "") -> Any:
    """A key for `sorted` over annotations (or NoteRows) of blocks at `position`/`block_text`
    (pass the block's for one block; the API passes each note's own via `sort_notes`)."""

    def key(note: Any) -> tuple[Any, ...]:
        first = (not note.pinned,)
        stamp = note.created_at.timestamp()
        if sort == Sort.HELPFUL:
            return (*first, -note.helpful_count, stamp, note.id)
        if sort == Sort.NEWEST:
            return (*first, -stamp, -note.id)
        if sort == Sort.DOCUMENT:
            return (*first, position, _quote_start(note, block_text), stamp, note.id)
        return (*first, stamp, note.id)

    return key


def sort_notes(notes: list[Annotation], sort: Sort) -> list[Annotation]:
    """Notes of several blocks (each with its block loaded), in `sort` order."""
    if sort != Sort.DOCUMENT:
        return sorted(notes, key=sort_key(sort))
    return sorted(
        notes,
        key=lambda n: sort_key(sort, n.block.position, n.block.text)(n),
    )


@dataclass(frozen=True)
class ArticleSummary:
    article: Article
    block_count: int
    annotation_count: int


def get_article(slug: str) -> Article:
    article = db.session.scalar(select(Article).where(Article.slug == slug))
    if article is None:
        raise NotFound(f"No article {slug!r}.")
    return article


def discussion_version(slug: str) -> int:
    """The article's discussion version alone: what live readers poll (one indexed query)."""
    found = db.session.scalar(select(Article.discussion_version).where(Article.slug == slug))
    if found is None:
        raise NotFound(f"No article {slug!r}.")
    return int(found)


def get_article_with_block(slug: str, anchor: str) -> tuple[Article, Block | None]:
    """The article and its block with this anchor (None if it has none), in one query."""
    row = db.session.execute(_ARTICLE_WITH_BLOCK, {"slug": slug, "anchor": anchor}).first()
    if row is None:
        raise NotFound(f"No article {slug!r}.")
    return row[0], row[1]


# Built once: posting runs it on every request.
_ARTICLE_WITH_BLOCK = (
    select(Article, Block)
    .outerjoin(
        Block,
        and_(
            Block.article_id == Article.id,
            Block.anchor == bindparam("anchor"),
            Block.retired.is_(False),
        ),
    )
    .where(Article.slug == bindparam("slug"))
)


def get_block(article: Article, anchor: str) -> Block:
    block = db.session.scalar(
        select(Block).where(
            Block.article_id == article.id, Block.anchor == anchor, Block.retired.is_(False)
        )
    )
    if block is None:
        raise NotFound(f"No paragraph {anchor!r} in this article.")
    return block


def block_number(block: Block) -> int:
    """The block's place among the article's blocks of its kind: "paragraph 3" (one query)."""
    before = db.session.scalar(
        select(func.count())
        .select_from(Block)
        .where(
            Block.article_id == block.article_id,
            Block.kind == block.kind,
            Block.position < block.position,
        )
    )
    return int(before or 0) + 1


def numbered(blocks: list[Block]) -> dict[int, int]:
    """{block id: its place among the blocks of its kind}, for blocks in reading order."""
    seen: dict[str, int] = defaultdict(int)
    numbers = {}
    for b in blocks:
        seen[b.kind] += 1
        numbers[b.id] = seen[b.kind]
    return numbers


def list_blocks(article: Article) -> list[Block]:
    return list(
        db.session.scalars(
            select(Block)
            .where(Block.article_id == article.id, Block.retired.is_(False))
            .order_by(Block.position)
        )
    )


def _summaries(user: Any) -> Select[Any]:
    """Articles with their block count and the annotations `user` would count."""
    blocks = (
        select(Block.article_id, func.count().label("n"))
        .where(Block.retired.is_(False))
        .group_by(Block.article_id)
        .subquery()
    )
    notes = (
        select(Annotation.article_id, func.count().label("n"))
        .where(permissions.counted_annotations(user))
        .group_by(Annotation.article_id)
        .subquery()
    )
    return (
        select(Article, func.coalesce(blocks.c.n, 0), func.coalesce(notes.c.n, 0))
        .outerjoin(blocks, blocks.c.article_id == Article.id)
        .outerjoin(notes, notes.c.article_id == Article.id)
    )


def list_articles(user: Any) -> list[ArticleSummary]:
    """Every article with its block count and the annotations `user` would count."""
    rows = db.session.execute(
        _summaries(user).order_by(Article.published.desc(), Article.id.desc())
    )
    return [ArticleSummary(a, int(b), int(n)) for a, b, n in rows]


def list_articles_after(user: Any, after_id: int | None, limit: int) -> list[ArticleSummary]:
    """Up to `limit` article summaries in id order, after `after_id`: one keyset page."""
    stmt = _summaries(user).order_by(Article.id).limit(limit)
    if after_id is not None:
        stmt = stmt.where(Article.id > after_id)
    return [ArticleSummary(a, int(b), int(n)) for a, b, n in db.session.execute(stmt)]


def in_scope(group: Group | None) -> ColumnElement[bool]:
    """One discussion at a time: a group's, or the public one (with the reader's own notes)."""
    if group is None:
        return Annotation.visibility.in_((Visibility.PUBLIC, Visibility.PRIVATE))
    # The reader's own private notes go with them into every discussion they read.
    return or_(Annotation.group_id == group.id, Annotation.visibility == Visibility.PRIVATE)


def _scoped(user: Any, scope: ColumnElement[bool] | None, counted: bool = False) -> Any:
    """What a block's discussion shows: visible to `user`, in scope, and not orphaned (an
    orphan's text is gone; it is listed at the article's end instead)."""
    rule = (
        permissions.counted_annotations(user) if counted else permissions.visible_annotations(user)
    )
    rule = and_(rule, Annotation.orphaned.is_(False))
    return rule if scope is None else and_(rule, scope)


# The words a quote covers now: after a revision's light edit they may differ from what the
# author selected (quote_exact, kept as "originally quoted"); these are what is highlighted.
QUOTED_NOW = case(
    (
        Annotation.quote_start.is_not(None),
        func.substr(
            Block.text, Annotation.quote_start + 1, Annotation.quote_end - Annotation.quote_start
        ),
    ),
    else_=Annotation.quote_exact,
)


def block_counts(
    user: Any, article: Article, scope: ColumnElement[bool] | None = None
) -> dict[int, dict[str, int]]:
    """{block_id: {kind: n}} over what `user` may see (within `scope`), in one query."""
    rows = db.session.execute(
        select(Annotation.block_id, Annotation.kind, func.count())
        .where(Annotation.article_id == article.id, _scoped(user, scope, counted=True))
        .group_by(Annotation.block_id, Annotation.kind)
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for block_id, kind, n in rows:
        counts[block_id][kind] = int(n)
    return counts


def quotes_by_block(
    user: Any, article: Article, scope: ColumnElement[bool] | None = None
) -> dict[int, list[str]]:
    """The distinct quoted phrases per block, for highlighting, in one query."""
    rows = db.session.execute(
        select(Annotation.block_id, QUOTED_NOW)
        .join(Block, Block.id == Annotation.block_id)
        .where(
            Annotation.article_id == article.id,
            Annotation.quote_exact.is_not(None),
            _scoped(user, scope, counted=True),
        )
        .group_by(Annotation.block_id, QUOTED_NOW)
    )
    quotes: dict[int, list[str]] = defaultdict(list)
    for block_id, exact in rows:
        quotes[block_id].append(exact)
    return quotes


def counts_and_quotes(
    user: Any, article: Article, scope: ColumnElement[bool] | None = None
) -> tuple[dict[int, dict[str, int]], dict[int, list[str]]]:
    """block_counts and quotes_by_block together, from one query (they share its filter).

    Grouping by (block, kind, quote) yields both: a kind's count is the sum over its quotes,
    and a block's quotes are the non-null ones, listed once each in sorted order.
    """
    rows = db.session.execute(
        select(Annotation.block_id, Annotation.kind, QUOTED_NOW, func.count())
        .join(Block, Block.id == Annotation.block_id)
        .where(Annotation.article_id == article.id, _scoped(user, scope, counted=True))
        .group_by(Annotation.block_id, Annotation.kind, QUOTED_NOW)
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    found: dict[int, set[str]] = defaultdict(set)
    for block_id, kind, exact, n in rows:
        per_block = counts[block_id]
        per_block[kind] = per_block.get(kind, 0) + int(n)
        if exact is not None:
            found[block_id].add(exact)
    return counts, {block_id: sorted(q) for block_id, q in found.items()}


def scoped_filter(user: Any, scope: ColumnElement[bool] | None) -> ColumnElement[bool]:
    """What `user` may see of one discussion (`scope`), as an SQL filter."""
    return _scoped(user, scope)


def with_author_and_block(stmt: Select[Any]) -> Select[Any]:
    """Annotations loaded with their author and block (for links in context), no extra query."""
    return (
        stmt.join(Annotation.author)
        .join(Annotation.block)
        .options(contains_eager(Annotation.author), contains_eager(Annotation.block))
    )


def _with_author(stmt: Select[Any]) -> Select[Any]:
    return stmt.join(Annotation.author).options(contains_eager(Annotation.author))


def _thread_order() -> tuple[Any, ...]:
    return (Annotation.pinned.desc(), Annotation.created_at, Annotation.id)


@dataclass(frozen=True, slots=True)
class AuthorRow:
    id: int
    display_name: str


class NoteRow:
    """A previewed annotation as plain data: its columns and its author's name, no ORM state.

    The article page only reads fields, and a row costs a fraction of a mapped instance to
    load; the model's own helpers (`is_edited`, `quote`) work on it unchanged.
    """

    __slots__ = (*(c.key for c in Annotation.__table__.columns), "author")

    is_edited = Annotation.is_edited
    quote = Annotation.quote

    def __init__(self, values: dict[str, Any], author: AuthorRow) -> None:
        for key, value in values.items():
            setattr(self, key, value)
        self.author = author

    def __repr__(self) -> str:
        return f"<NoteRow {getattr(self, 'id', None)}>"


_NOTE_COLUMNS = tuple(Annotation.__table__.columns)


def _quote_start_sql() -> Any:
    """Where a note's quote starts in its block's text, in SQL (-1: on the whole block)."""
    dialect = db.session.get_bind().dialect.name
    found = (
        func.strpos(Block.text, Annotation.quote_exact)
        if dialect == "postgresql"
        else func.instr(Block.text, Annotation.quote_exact)
    )
    return case((Annotation.quote_exact.is_(None), -1), else_=found)


def _sql_order(sort: Sort | None) -> tuple[Any, ...]:
    """`sort` as an ORDER BY over annotations (joined to their block for `document`)."""
    pinned = Annotation.pinned.desc()
    if sort == Sort.HELPFUL:
        return (pinned, Annotation.helpful_count.desc(), Annotation.created_at, Annotation.id)
    if sort == Sort.NEWEST:
        return (pinned, Annotation.created_at.desc(), Annotation.id.desc())
    if sort == Sort.DOCUMENT:
        return (pinned, _quote_start_sql(), Annotation.created_at, Annotation.id)
    return _thread_order()


def preview_threads(
    user: Any,
    article: Article,
    per_block: int = PREVIEW_THREADS,
    scope: ColumnElement[bool] | None = None,
    sort: Sort | None = None,
) -> dict[int, list[NoteRow]]:
    """The first top-level annotations of each block (pinned first, then in `sort` order, by
    default the thread order), in one query."""
    order = _sql_order(sort)
    rank = func.row_number().over(partition_by=Annotation.block_id, order_by=order).label("rank")
    ranked = select(Annotation.id, rank)
    if sort == Sort.DOCUMENT:
        ranked = ranked.join(Block, Block.id == Annotation.block_id)
    ranked = ranked.where(
        Annotation.article_id == article.id,
        Annotation.parent_id.is_(None),
        # A deleted note stays as a placeholder while replies to it are there: the counts
        # include those replies, so the panel must show where they are.
        or_(Annotation.status != AnnotationStatus.DELETED, Annotation.reply_count > 0),
        _scoped(user, scope),
    ).subquery()
    stmt = (
        select(*_NOTE_COLUMNS, User.display_name)
        .join(ranked, ranked.c.id == Annotation.id)
        .join(User, User.id == Annotation.author_id)
        .where(ranked.c.rank <= per_block)
        .order_by(Annotation.block_id, *(_thread_order() if sort is None else (ranked.c.rank,)))
    )
    previews: dict[int, list[NoteRow]] = defaultdict(list)
    keys = [c.key for c in _NOTE_COLUMNS]
    authors: dict[int, AuthorRow] = {}
    for row in db.session.execute(stmt):
        values = dict(zip(keys, row, strict=False))
        author_id = values["author_id"]
        author = authors.get(author_id) or authors.setdefault(
            author_id, AuthorRow(author_id, row[-1])
        )
        previews[values["block_id"]].append(NoteRow(values, author))
    return previews


def block_discussion(
    user: Any, block: Block, scope: ColumnElement[bool] | None = None
) -> list[Annotation]:
    """Every annotation on `block` that `user` may know of, in thread order (parents first)."""
    stmt = _with_author(
        select(Annotation)
        .where(Annotation.block_id == block.id, _scoped(user, scope))
        .order_by(*_thread_order())
    )
    return list(db.session.scalars(stmt))


@dataclass
class ThreadNode:
    annotation: Annotation
    replies: list[ThreadNode]


def build_threads(
    annotations: list[Annotation], sort: Sort | None = None, block: Block | None = None
) -> list[ThreadNode]:
    """Nest a flat list into threads; a reply whose parent is absent is dropped with it.

    `sort` orders the threads and each note's replies (`block`: theirs, for `document`).
    """
    if sort is not None:
        position, text = (block.position, block.text) if block is not None else (0, "")
        annotations = sorted(annotations, key=sort_key(sort, position, text))
    nodes = {a.id: ThreadNode(a, []) for a in annotations}
    roots: list[ThreadNode] = []
    for a in annotations:
        node = nodes[a.id]
        if a.parent_id is None:
            roots.append(node)
        elif a.parent_id in nodes:
            nodes[a.parent_id].replies.append(node)
    return [r for r in roots if _has_content(r)]


def _has_content(node: ThreadNode) -> bool:
    """A deleted annotation with nothing under it is left out entirely."""
    node.replies = [r for r in node.replies if _has_content(r)]
    return node.annotation.status != AnnotationStatus.DELETED or bool(node.replies)


@dataclass(frozen=True)
class AnnotationFilter:
    """Narrowing a list of annotations; None means 'any'."""

    anchor: str | None = None
    kind: str | None = None
    author: str | None = None  # a username
    group: str | None = None  # a group slug


def with_context(stmt: Select[Any]) -> Select[Any]:
    """`stmt` over annotations, joined to and loaded with their author, block, article and group
    (one query for what presenting a list of annotations needs)."""
    return (
        with_author_and_block(stmt)
        .join(Annotation.article)
        .outerjoin(Annotation.group)
        .options(contains_eager(Annotation.article), contains_eager(Annotation.group))
    )


def list_annotations(
    user: Any,
    article: Article,
    where: AnnotationFilter,
    after_id: int | None = None,
    limit: int | None = None,
) -> list[Annotation]:
    """The annotations on `article` that `user` may know of (any status), oldest first.

    One query, with author, block and article loaded; `after_id` and `limit` page by id.
    """
    stmt = (
        with_context(select(Annotation))
        .where(Annotation.article_id == article.id, permissions.visible_annotations(user))
        .order_by(Annotation.id)
    )
    if where.anchor is not None:
        stmt = stmt.where(Block.anchor == where.anchor)
    if where.kind is not None:
        stmt = stmt.where(Annotation.kind == where.kind)
    if where.author is not None:
        stmt = stmt.where(User.username == normalise_username(where.author))
    if where.group is not None:
        stmt = stmt.where(Group.slug == where.group)
    if after_id is not None:
        stmt = stmt.where(Annotation.id > after_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))
