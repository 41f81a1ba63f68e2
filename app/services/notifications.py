"""In-app notifications: told when something of yours is answered, moderated or reviewed."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Annotation, Notification, NotificationKind, User
from app.models.base import utcnow
from app.services.errors import NotFound

PAGE = 50


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


def list_notifications(
    user: User, unread_only: bool = False, limit: int = PAGE, before_id: int | None = None
) -> list[Notification]:
    """The user's notifications, newest first, with their actors loaded; `before_id` pages on."""
    stmt = (
        select(Notification)
        .options(joinedload(Notification.actor))
        .where(Notification.user_id == user.id)
    )
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    if before_id is not None:
        stmt = stmt.where(Notification.id < before_id)
    return list(db.session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)))


def unread_count(user: User) -> int:
    return int(
        db.session.scalar(
            select(func.count()).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
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
            Notification.id == notification_id, Notification.user_id == user.id
        )
    )
    if note is None:
        raise NotFound("No such notification.")
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.flush()
    return note
