"""Notifications about readings: a new one assigned to my group, and the day before one is due."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Article,
    Group,
    Membership,
    MembershipStatus,
    Notification,
    NotificationKind,
    Reading,
    User,
)
from app.services.notifications import notify


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _members(group_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(Membership.user_id).where(
                Membership.group_id == group_id, Membership.status == MembershipStatus.ACTIVE
            )
        )
    )


def notify_reading_assigned(actor: User, group: Group, article: Article) -> int:
    """Tell the group's members (not the one who assigned it) of a new reading."""
    message = f"{actor.display_name} assigned a new reading in {group.name}: {article.title}."
    told = 0
    for user_id in _members(group.id):
        told += notify(user_id, NotificationKind.READING, message, actor=actor) is not None
    return told


def notify_due_tomorrow(today: date) -> int:
    """Remind each member of every reading due tomorrow, once (running twice tells no one twice)."""
    due = db.session.execute(
        select(Reading, Group, Article)
        .join(Group, Group.id == Reading.group_id)
        .join(Article, Article.id == Reading.article_id)
        .where(Reading.due_on == today + timedelta(days=1), Group.archived_at.is_(None))
    ).all()
    told = 0
    for reading, group, article in due:
        message = f"Due tomorrow ({reading.due_on:%A %d %B}) in {group.name}: {article.title}."
        members = _members(group.id)
        # Told already: among this group's members, since the day before (not every reminder
        # ever sent, which grows for ever).
        already = set(
            db.session.scalars(
                select(Notification.user_id).where(
                    Notification.user_id.in_(members),
                    Notification.kind == NotificationKind.DUE,
                    Notification.message == message,
                    Notification.created_at >= _start_of(today - timedelta(days=1)),
                )
            )
        )
        for user_id in members:
            if user_id not in already:
                told += notify(user_id, NotificationKind.DUE, message) is not None
    db.session.flush()
    return told
