"""Articles and the ordered blocks (paragraphs, headings) that readers annotate."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.user import User


class BlockKind(enum.StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    # Kept as blocks of their own kind when an HTML page is imported (annotatable all the same).
    ITEM = "item"
    QUOTE = "quote"
    CODE = "code"
    ROW = "row"
    CAPTION = "caption"
    NOTE = "note"


class Article(db.Model):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    standfirst: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(200))
    published: Mapped[date | None] = mapped_column(Date)
    source_url: Mapped[str | None] = mapped_column(String(2000))
    photo_credit: Mapped[str | None] = mapped_column(String(300))
    disclaimer: Mapped[str | None] = mapped_column(Text)
    # Non-annotatable asides ("Related article" boxes): [{"text": ..., "after": anchor}].
    asides: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Raised (UPDATE ... + 1) in the transaction of every write that changes what the article's
    # pages show: the key of their HTTP validators and of the rendered-fragment cache.
    discussion_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Who added it (may revise it); None for articles imported from the command line.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The number of the current ArticleRevision (0: imported before revisions were kept).
    revision: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    # The current revision's blocks only: a retired block is no longer part of the text.
    blocks: Mapped[list[Block]] = relationship(
        back_populates="article",
        primaryjoin="and_(Article.id == Block.article_id, Block.retired.is_(False))",
        order_by="Block.position",
        cascade="all, delete-orphan",
        lazy="raise_on_sql",
    )

    def __repr__(self) -> str:
        return f"<Article {self.slug}>"


class Block(db.Model):
    __tablename__ = "blocks"
    __table_args__ = (
        UniqueConstraint("article_id", "anchor", name="uq_blocks_article_anchor"),
        Index("ix_blocks_article_position", "article_id", "position"),
        CheckConstraint(
            "kind in ('heading','paragraph','item','quote','code','row','caption','note')",
            name="kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    # Assigned once at creation and never recomputed: links to it stay valid forever.
    anchor: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(16), default=BlockKind.PARAGRAPH)
    level: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    # Gone from the text in a later revision. Kept so its anchor is never handed out again and
    # the annotations it orphaned still know where they were.
    retired: Mapped[bool] = mapped_column(default=False, server_default=false())

    article: Mapped[Article] = relationship(back_populates="blocks", lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<Block {self.anchor}>"


class ArticleRevision(db.Model):
    """One imported text of an article: its source, the blocks it made, and the health report."""

    __tablename__ = "article_revisions"
    __table_args__ = (
        UniqueConstraint("article_id", "number", name="uq_article_revisions_article_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    markup: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(String(300))
    # [{"anchor", "kind", "level", "text", "html"}] in reading order: the revision, read-only.
    blocks: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # {"blocks": {kept, moved, edited, added, removed}, "annotations": {anchored, ...}}
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User | None] = relationship(lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<ArticleRevision {self.article_id}#{self.number}>"
