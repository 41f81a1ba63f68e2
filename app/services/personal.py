"""The personal layer of a reading page: what about one reader the shared layer cannot hold.

A reading page is the discussion every reader of it sees, drawn once per version and kept
(app/web/caching.py), plus this: which notes are the reader's own, which they marked helpful
or flagged, and the groups they may switch to — read in one statement. When some of the
reader's own notes look different to them than to everyone else (private, held, hidden, or
with an instructor's feedback), `apart` says so and the page is drawn for them in full.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, case, cast, exists, literal, null, or_, select, union_all

from app import permissions
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
    apart: bool = False  # some of their notes look different to them than to everyone
    groups: list[GroupChoice] = field(default_factory=list)  # their groups reading it


def _drawn_apart() -> Any:
    """A note its author sees otherwise than everyone else does."""
    return or_(
        Annotation.visibility == Visibility.PRIVATE,
        Annotation.status.in_((AnnotationStatus.PENDING, AnnotationStatus.HIDDEN)),
        exists().where(Feedback.annotation_id == Annotation.id),
    )


def _row(what: str, ident: Any, flag: Any = None, slug: Any = None, name: Any = None) -> tuple:
    """One shape for every part of the union: (what, id, flag, slug, name)."""
    return (
        literal(what, String).label("what"),
        ident.label("ident"),
        (literal(0) if flag is None else case((flag, 1), else_=0)).label("flag"),
        (cast(null(), String) if slug is None else slug).label("slug"),
        (cast(null(), String) if name is None else name).label("name"),
    )


def personal_layer(user: Any, article: Article, scope: Any) -> Personal:
    """The reader's part of the article page in one statement; nothing for a signed-out one.

    `scope` is the discussion shown (app/services/reading.in_scope): the reader's own notes
    are looked for there.
    """
    if not isinstance(user, User):
        return Personal()
    on_article = Annotation.article_id == article.id
    mine = select(*_row("mine", Annotation.id, _drawn_apart())).where(
        on_article, Annotation.author_id == user.id, scope
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
    found: dict[str, set[int]] = {"mine": set(), "marked": set(), "flagged": set()}
    apart, choices = False, []
    for what, ident, flag, slug, name in db.session.execute(
        union_all(mine, marked, flagged, groups)
    ):
        if what == "group":
            choices.append(GroupChoice(ident, slug, name))
        else:
            found[what].add(ident)
            apart = apart or (what == "mine" and bool(flag))
    return Personal(
        frozenset(found["mine"]),
        frozenset(found["marked"]),
        frozenset(found["flagged"]),
        apart,
        sorted(choices, key=lambda c: (c.name, c.id)),
    )
