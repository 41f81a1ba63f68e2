"""@mentions: which names in a note are members, telling those who may see it, and completion.

Mentioning someone who may not see the note tells nobody anything: they get no notification,
and the author's note renders the same either way (a link to the member's page), so the
author cannot learn from it who can see what.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from app import permissions
from app.extensions import db
from app.models import Annotation, Group, Membership, MembershipStatus, NotificationKind, User
from app.services.notifications import notify
from app.text import mentioned_names

MAX_MENTIONS = 20  # a note naming the whole class tells no one; the first 20 names count
COMPLETIONS = 8


def _active() -> ColumnElement[bool]:
    return and_(User.disabled_at.is_(None), User.deleted_at.is_(None))


def _members_named(names: list[str]) -> list[User]:
    if not names:
        return []
    return list(db.session.scalars(select(User).where(User.username.in_(names), _active())))


def mention_links(body: str) -> dict[str, str]:
    """For render_markdown: each @name in `body` that is a member → the link it becomes."""
    if "@" not in body:
        return {}  # the common case costs no query
    names = mentioned_names(body)[:MAX_MENTIONS]
    return {user.username: f"/people/{user.username}" for user in _members_named(names)}


def notify_mentions(annotation: Annotation, author: User, before: str = "") -> int:
    """Tell each member named in a now-visible note who may see it; returns how many.

    `before`: the body before an edit, whose mentions were told already."""
    if "@" not in annotation.body:
        return 0
    told_before = set(mentioned_names(before)[:MAX_MENTIONS]) if "@" in before else set()
    names = [n for n in mentioned_names(annotation.body)[:MAX_MENTIONS] if n not in told_before]
    told = 0
    for user in _members_named(names):
        if user.id == author.id or not permissions.can_view_annotation(user, annotation):
            continue
        message = f"{author.display_name} mentioned you."
        told += notify(user.id, NotificationKind.MENTION, message, annotation, author) is not None
    return told


def mentionable(
    viewer: Any, prefix: str, group: Group | None, article_id: int | None
) -> list[User]:
    """Completion for the composer: people the viewer could usefully mention, by prefix.

    In a group's discussion, its active members; in a public discussion, the people who wrote
    in the article's public discussion. Never anyone the viewer could not already see there.
    """
    prefix = prefix.strip().lstrip("@").lower()
    if group is not None:
        scope = User.id.in_(
            select(Membership.user_id).where(
                Membership.group_id == group.id, Membership.status == MembershipStatus.ACTIVE
            )
        )
    elif article_id is not None:
        scope = User.id.in_(
            select(Annotation.author_id).where(
                Annotation.article_id == article_id,
                Annotation.group_id.is_(None),
                permissions.visible_annotations(viewer),
            )
        )
    else:
        return []
    like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    match = or_(
        User.username.like(like, escape="\\"), func.lower(User.display_name).like(like, escape="\\")
    )
    stmt = select(User).where(scope, _active(), match, User.id != getattr(viewer, "id", None))
    return list(db.session.scalars(stmt.order_by(User.username).limit(COMPLETIONS)))
