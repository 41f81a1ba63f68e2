"""Annotations: comments, questions, support and counterarguments on a block, in threads."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, false, text
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.extensions import db
from app.models.article import Article, Block
from app.models.base import UTCDateTime, utcnow
from app.models.user import User
from app.text import count_words

if TYPE_CHECKING:
    from app.models.group import Group


class AnnotationKind(enum.StrEnum):
    COMMENT = "comment"
    COUNTERARGUMENT = "counterargument"
    QUESTION = "question"
    SUPPORT = "support"


class AnnotationStatus(enum.StrEnum):
    VISIBLE = "visible"
    HIDDEN = "hidden"
    DELETED = "deleted"
    PENDING = "pending"  # held for a moderator's approval


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    GROUP = "group"
    PRIVATE = "private"


MAX_BODY = 10_000
MAX_DEPTH = 50
GROUP_ACTIVITY_COLUMNS = (
    "group_id",
    "status",
    "author_id",
    "kind",
    "article_id",
    "created_at",
    "word_count",
    "parent_id",
    "block_id",
    "reply_count",
)


def _inserted_words(context: DefaultExecutionContext) -> int:
    """word_count for a Core insert that leaves it out (seeders, bulk inserts): from its body."""
    return count_words(context.get_current_parameters()["body"])


class Annotation(db.Model):
    __tablename__ = "annotations"
    __table_args__ = (
        Index("ix_annotations_block_status", "block_id", "status"),
        Index("ix_annotations_article_created", "article_id", "created_at"),
        Index("ix_annotations_parent", "parent_id"),
        # A reader's own notes on one article (the personal layer on every signed-in page):
        # found without walking all of a prolific reader's notes elsewhere.
        Index("ix_annotations_author_article", "author_id", "article_id"),
        # Class insight reads a whole group's discussion several ways (per member, per day,
        # per reading, unanswered questions) and the header counts its moderation queue: this
        # index holds every column those read, so each is a scan of the index alone.
        Index("ix_annotations_group_activity", *GROUP_ACTIVITY_COLUMNS),
        # The held notes (the moderation queues; the header counts them on every moderator's
        # page): a handful, found without walking the rest.
        Index(
            "ix_annotations_held",
            "group_id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        # The article page's previews: each block's top-level notes in thread order.
        Index(
            "ix_annotations_thread_starts",
            "article_id",
            "block_id",
            "pinned",
            "created_at",
            "id",
            postgresql_where=text("parent_id IS NULL"),
            sqlite_where=text("parent_id IS NULL"),
        ),
        CheckConstraint("kind in ('comment','counterargument','question','support')", name="kind"),
        CheckConstraint("status in ('visible','hidden','deleted','pending')", name="status"),
        CheckConstraint("visibility in ('public','group','private')", name="visibility"),
        CheckConstraint(
            "(visibility = 'group') = (group_id IS NOT NULL)", name="group_iff_group_visibility"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    block_id: Mapped[int] = mapped_column(ForeignKey("blocks.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("annotations.id"))
    # The thread's top annotation (itself for a top-level one): a thread loads in one query.
    root_id: Mapped[int | None] = mapped_column(index=True)
    depth: Mapped[int] = mapped_column(default=0)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    # count_words(body), kept with the body (the validator below; _inserted_words for Core
    # inserts) so participation sums words in SQL instead of reading every body.
    word_count: Mapped[int] = mapped_column(default=_inserted_words, server_default=text("0"))
    body_html: Mapped[str] = mapped_column(Text)
    quote_exact: Mapped[str | None] = mapped_column(Text)
    quote_prefix: Mapped[str | None] = mapped_column(Text)
    quote_suffix: Mapped[str | None] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(10), default=Visibility.PUBLIC)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=AnnotationStatus.VISIBLE)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    # Direct replies that count for everyone (visible status); kept by the services.
    reply_count: Mapped[int] = mapped_column(default=0)
    # Readers' helpful marks (helpful_marks rows); kept by app/services/helpful.py so lists
    # sort and show it without counting per annotation.
    helpful_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # A reply its question's author (or a moderator) marked as the answer.
    is_answer: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Its text is gone from the article (a revision removed or rewrote it): never deleted,
    # shown at the article's end until someone re-attaches it.
    orphaned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Where the quote lies now in its block's current text, in code points (None: no quote, or
    # orphaned). quote_exact keeps the author's original words.
    quote_start: Mapped[int | None] = mapped_column()
    quote_end: Mapped[int | None] = mapped_column()
    # The words the quote covers now when a revision's light edit changed them (shown, with
    # quote_exact as "originally quoted"); None while they are the words the author selected.
    quote_current: Mapped[str | None] = mapped_column(Text)
    # The latest moderator's reason, shown to the author of a hidden annotation.
    moderation_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    article: Mapped[Article] = relationship(lazy="raise_on_sql")
    block: Mapped[Block] = relationship(lazy="raise_on_sql")
    author: Mapped[User] = relationship(lazy="raise_on_sql")
    parent: Mapped[Annotation | None] = relationship(remote_side=[id], lazy="raise_on_sql")
    group: Mapped[Group | None] = relationship(lazy="raise_on_sql")

    @validates("body")
    def _count_words(self, _key: str, body: str) -> str:
        self.word_count = count_words(body)
        return body

    @property
    def quote(self) -> dict[str, str] | None:
        if self.quote_exact is None:
            return None
        return {
            "exact": self.quote_exact,
            "prefix": self.quote_prefix or "",
            "suffix": self.quote_suffix or "",
        }

    @property
    def quote_range(self) -> dict[str, int] | None:
        if self.quote_start is None or self.quote_end is None or self.orphaned:
            return None
        return {"start": self.quote_start, "end": self.quote_end}

    @property
    def is_edited(self) -> bool:
        return (self.updated_at - self.created_at).total_seconds() > 1

    def __repr__(self) -> str:
        return f"<Annotation {self.id} {self.kind}>"
