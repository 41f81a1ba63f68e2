"""The personal layer of a reading page: what about one reader the shared layer cannot hold.

A reading page is the discussion every reader of it sees, drawn once per version and kept
(app/web/caching.py), plus this: which notes are the reader's own, which they marked helpful
or flagged, the groups they may switch to, and the site header's counts — read in one
statement. When some of the
reader's own notes look different to them than to everyone else (private, held, hidden, or
with an instructor's feedback), `apart` names their blocks, which are drawn for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, case, cast, exists, literal, null, or_, select, union_all

from app import permissions, shapes
from app.extensions import db
from app.models import (
    Annotation,
    AnnotationStatus,
    Article,
    Feedback,
    Flag,
    Group,
    HelpfulMark,
    Reading,
    User,
    Visibility,
)
from app.services.moderation import HeaderCounts, header_parts
from app.services.reading import in_scope


@dataclass(frozen=True)
class GroupChoice:
    """A group the reader may switch the page to (what the switcher draws of it)."""

    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class Personal:
    mine: frozenset[int] = frozenset()  # the reader's own notes on the article
    marked: frozenset[int] = frozenset()  # notes on it they marked helpful
    flagged: frozenset[int] = frozenset()  # notes on it they flagged
    # The blocks holding notes of theirs that look different to them than to everyone.
    apart: frozenset[int] = frozenset()
    groups: list[GroupChoice] = field(default_factory=list)  # their groups reading it
    header: HeaderCounts | None = None  # the site header's counts, read in the same statement


def _drawn_apart() -> Any:
    """A note its author sees otherwise than everyone else does."""
    return or_(
        Annotation.visibility == Visibility.PRIVATE,
        Annotation.status.in_((AnnotationStatus.PENDING, AnnotationStatus.HIDDEN)),
        exists().where(Feedback.annotation_id == Annotation.id),
    )


def _row(what: Any, ident: Any, block: Any = None, slug: Any = None, name: Any = None) -> tuple:
    """One shape for every part of the union: (what, id, block id or 0, slug, name)."""
    return (
        (literal(what, String) if isinstance(what, str) else what).label("what"),
        ident.label("ident"),
        (literal(0) if block is None else block).label("block"),
        (cast(null(), String) if slug is None else slug).label("slug"),
        (cast(null(), String) if name is None else name).label("name"),
    )


def personal_layer(user: Any, article: Article, group: Group | None) -> Personal:
    """The reader's part of the article page in one statement; nothing for a signed-out one.

    The reader's own notes are looked for in the discussion shown: the group's, or the
    public one (reading.in_scope).
    """
    if not isinstance(user, User):
        return Personal()
    statement = _statement(user.role, group is not None)
    found: dict[str, set[int]] = {"mine": set(), "marked": set(), "flagged": set(), "apart": set()}
    choices, counted = [], []
    for what, ident, block, slug, name in db.session.execute(
        statement, shapes.values(user, article, group)
    ):
        if what == "group":
            choices.append(GroupChoice(ident, slug, name))
        elif what in ("unread", "queue"):
            counted.append((what, ident, slug))
        else:
            found[what].add(ident)
            if block:
                found["apart"].add(block)
    mine_ids, marked_ids, flagged_ids, apart = (
        frozenset(found[k]) for k in ("mine", "marked", "flagged", "apart")
    )
    choices.sort(key=lambda c: (c.name, c.id))
    return Personal(mine_ids, marked_ids, flagged_ids, apart, choices, HeaderCounts.of(counted))


@shapes.once_per_shape
def _statement(role: str, in_group: bool) -> Any:
    """The union for a reader of this role, built once (app/shapes.py): own notes, marks,
    flags, the switcher's groups, the header's counts."""
    return personal_union(
        shapes.reader_like(role), shapes.article_like(), shapes.group_like() if in_group else None
    )


def personal_union(user: User, article: Article, group: Group | None) -> Any:
    """The personal layer's statement for `user` (a reader, or a stand-in for one)."""
    on_article = Annotation.article_id == article.id
    apart_in = case((_drawn_apart(), Annotation.block_id), else_=0)
    mine = select(*_row("mine", Annotation.id, apart_in)).where(
        on_article, Annotation.author_id == user.id, in_scope(group)
    )
    marked = (
        select(*_row("marked", HelpfulMark.annotation_id))
        .join(Annotation, Annotation.id == HelpfulMark.annotation_id)
        .where(HelpfulMark.user_id == user.id, on_article)
    )
    flagged = (
        select(*_row("flagged", Flag.annotation_id))
        .join(Annotation, Annotation.id == Flag.annotation_id)
        .where(Flag.user_id == user.id, on_article)
    )
    groups = (
        select(*_row("group", Group.id, None, Group.slug, Group.name))
        .join(Reading, Reading.group_id == Group.id)
        .where(Reading.article_id == article.id, permissions.visible_groups(user))
    )
    header = [
        select(*_row(part.c.what, part.c.n, None, part.c.slug))
        for part in (p.subquery() for p in header_parts(user))
    ]
    return union_all(mine, marked, flagged, groups, *header)
