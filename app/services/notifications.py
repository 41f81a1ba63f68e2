"""In-app notifications: told when something of yours is answered, moderated or reviewed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.orm import joinedload

from app import permissions
from app.extensions import db
from app.models import Annotation, Notification, NotificationKind, User
from app.models.base import utcnow
from app.services.errors import NotFound
from app.text import visible_text

PAGE = 50
EXCERPT = 140  # characters of the note a notification is about
OPENING = 60  # characters of the paragraph it is in


def notify(
    recipient_id: int,
    kind: NotificationKind,
    message: str,
    annotation: Annotation | None = None,
    actor: User | None = None,
) -> Notification | None:
    """Record a notification, unless the actor would be telling themselves."""
    if actor is not None and actor.id == recipient_id:
        return None
    note = Notification(
        user_id=recipient_id,
        kind=kind,
        message=message,
        annotation_id=annotation.id if annotation else None,
        actor_id=actor.id if actor else None,
    )
    db.session.add(note)
    return note


def notify_reply(reply: Annotation, actor: User) -> None:
    """Tell the parent's author about a (now visible) reply."""
    if reply.parent_id is None:
        return
    # Posting a reply has just loaded its parent: the identity map answers without a query.
    parent = db.session.get(Annotation, reply.parent_id)
    if parent is None:
        return
    parent_author = parent.author_id
    if reply.kind == "counterargument":
        kind, verb = NotificationKind.COUNTER, "countered"
    else:
        kind, verb = NotificationKind.REPLY, "replied to"
    notify(parent_author, kind, f"{actor.display_name} {verb} your annotation.", reply, actor)


def _readable(user: User) -> ColumnElement[bool]:
    """A notification about an annotation is read under that annotation's rule, as it is now
    (permissions.visible_copies): leaving a group hides what it said there at once."""
    # Correlated, so the database checks only this reader's notifications' annotations: an
    # IN (SELECT ...) was planned on PostgreSQL as a hash of every annotation it may see, a
    # scan of the whole table on every signed-in page.
    seen = (
        select(Annotation.id)
        .where(Annotation.id == Notification.annotation_id, permissions.visible_copies(user))
        .exists()
    )
    return or_(Notification.annotation_id.is_(None), seen)


_WITH_CONTEXT = (
    joinedload(Notification.actor),
    joinedload(Notification.annotation).options(
        joinedload(Annotation.article), joinedload(Annotation.block), joinedload(Annotation.group)
    ),
)


def list_notifications(
    user: User, unread_only: bool = False, limit: int = PAGE, before_id: int | None = None
) -> list[Notification]:
    """The user's notifications they may still read, newest first, with their actors and what
    they are about (article, block, group) loaded in the same query; `before_id` pages on."""
    stmt = (
        select(Notification)
        .options(*_WITH_CONTEXT)
        .where(Notification.user_id == user.id, _readable(user))
    )
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    if before_id is not None:
        stmt = stmt.where(Notification.id < before_id)
    return list(db.session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)))


def unread_count(user: User) -> int:
    return int(db.session.scalar(unread_select(user)) or 0)


def unread_select(user: User) -> Select[tuple[int]]:
    """The statement counting the user's unread notifications (the header joins it to others)."""
    return select(func.count()).where(
        Notification.user_id == user.id, Notification.read_at.is_(None), _readable(user)
    )


def mark_read(user: User, ids: list[int] | None = None) -> int:
    """Mark the given notifications (or all) of `user` read; returns how many changed."""
    stmt = (
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    return db.session.execute(stmt).rowcount or 0


def open_notification(user: User, notification_id: int) -> Notification:
    """One of the user's own notifications, marked read; NotFound for anyone else's."""
    note = db.session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user.id, _readable(user)
        )
    )
    if note is None:
        raise NotFound("No such notification.")
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.flush()
    return note


@dataclass(frozen=True)
class Context:
    """Where a notification's annotation is: what a class needs to know without opening it."""

    article_slug: str
    article_title: str
    anchor: str
    block_kind: str
    block_position: int  # 1-based, headings counted
    block_opening: str
    group_slug: str | None
    group_name: str | None
    excerpt: str | None  # None when the reader may not see the body (hidden, deleted, held)


def _clip(text: str, size: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= size else flat[: size - 1].rstrip() + "…"


def context_of(user: Any, note: Notification) -> Context | None:
    """The context of a notification loaded by list_notifications (no query).

    The list already left out what the reader may not read; the body is excerpted only where
    the reader may see it now (a hidden reply shows no excerpt)."""
    annotation = note.annotation
    if annotation is None or not permissions.can_read_copy(user, annotation):
        return None
    block, group = annotation.block, annotation.group
    # The words as readers see them (no Markdown marks), where this reader may see them.
    body = (
        visible_text(annotation.body_html) if permissions.can_see_body(user, annotation) else None
    )
    return Context(
        article_slug=annotation.article.slug,
        article_title=annotation.article.title,
        anchor=block.anchor,
        block_kind=block.kind,
        block_position=block.position + 1,
        block_opening=_clip(block.text, OPENING),
        group_slug=group.slug if group is not None else None,
        group_name=group.name if group is not None else None,
        excerpt=_clip(body, EXCERPT) if body else None,
    )
