"""Reading groups, their members and readings, and what moderation records about them."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime, timedelta
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
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.article import Article
from app.models.base import UTCDateTime, utcnow
from app.models.user import User

if TYPE_CHECKING:
    from app.models.annotation import Annotation

JOIN_CODE_LIFETIME = timedelta(days=90)
# No 0/O or 1/I/L: a code read aloud in class or copied from a slide survives.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(8))


class GroupRole(enum.StrEnum):
    MEMBER = "member"
    INSTRUCTOR = "instructor"


class MembershipStatus(enum.StrEnum):
    ACTIVE = "active"
    LEFT = "left"
    REMOVED = "removed"


class Premoderation(enum.StrEnum):
    OFF = "off"
    NEW_MEMBERS = "new_members"  # a member's first N posts wait for approval
    ALL = "all"


class Group(db.Model):
    __tablename__ = "groups"
    __table_args__ = (
        CheckConstraint("premoderation in ('off','new_members','all')", name="premoderation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    join_code: Mapped[str] = mapped_column(String(16), unique=True, default=new_join_code)
    join_code_expires_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=lambda: utcnow() + JOIN_CODE_LIFETIME
    )
    premoderation: Mapped[str] = mapped_column(String(16), default=Premoderation.OFF)
    premoderation_posts: Mapped[int] = mapped_column(default=3)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def __repr__(self) -> str:
        return f"<Group {self.slug}>"


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("group_id", "user_id", name="uq_memberships_group_user"),
        Index("ix_memberships_user", "user_id", "status"),
        CheckConstraint("role in ('member','instructor')", name="role"),
        CheckConstraint("status in ('active','left','removed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16), default=GroupRole.MEMBER)
    status: Mapped[str] = mapped_column(String(16), default=MembershipStatus.ACTIVE)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Posts approved so far: pre-moderation of new members stops after the group's N.
    approved_posts: Mapped[int] = mapped_column(default=0)

    group: Mapped[Group] = relationship(lazy="raise_on_sql")
    user: Mapped[User] = relationship(lazy="raise_on_sql")

    @property
    def is_active(self) -> bool:
        return self.status == MembershipStatus.ACTIVE

    @property
    def is_instructor(self) -> bool:
        return self.is_active and self.role == GroupRole.INSTRUCTOR

    def is_suspended(self, now: datetime) -> bool:
        return self.suspended_until is not None and self.suspended_until > now


class Reading(db.Model):
    """An article assigned to a group, with an optional due date."""

    __tablename__ = "readings"
    __table_args__ = (UniqueConstraint("group_id", "article_id", name="uq_readings_group_article"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    due_on: Mapped[date | None] = mapped_column(Date)
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    article: Mapped[Article] = relationship(lazy="raise_on_sql")


class FlagReason(enum.StrEnum):
    OFF_TOPIC = "off_topic"
    DISRESPECTFUL = "disrespectful"
    SPAM = "spam"
    OTHER = "other"


class Flag(db.Model):
    __tablename__ = "flags"
    __table_args__ = (
        UniqueConstraint("annotation_id", "user_id", name="uq_flags_annotation_user"),
        CheckConstraint("reason in ('off_topic','disrespectful','spam','other')", name="reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    annotation_id: Mapped[int] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(20))
    details: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when a moderator acts on the annotation; the flag itself is kept.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="raise_on_sql")


class ModerationAction(db.Model):
    """One entry of the append-only moderation log: never updated, never deleted."""

    __tablename__ = "moderation_log"
    __table_args__ = (Index("ix_moderation_log_group_created", "group_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    annotation_id: Mapped[int | None] = mapped_column(ForeignKey("annotations.id"))
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    previous: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User] = relationship(foreign_keys=[actor_id], lazy="raise_on_sql")
    subject_user: Mapped[User | None] = relationship(
        foreign_keys=[subject_user_id], lazy="raise_on_sql"
    )


class Feedback(db.Model):
    """An instructor's private note on one annotation: its author and the instructors see it."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    annotation_id: Mapped[int] = mapped_column(
        ForeignKey("annotations.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship(lazy="raise_on_sql")


class NotificationKind(enum.StrEnum):
    REPLY = "reply"
    COUNTER = "counter"
    MODERATED = "moderated"
    FEEDBACK = "feedback"
    FLAG_OUTCOME = "flag_outcome"  # a moderator acted on what the reader flagged
    MENTION = "mention"
    READING = "reading"  # a new reading assigned to one of my groups
    DUE = "due"  # a reading is due tomorrow
    ORPHANED = "orphaned"  # a revision took away the text the annotation was about


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    annotation_id: Mapped[int | None] = mapped_column(
        ForeignKey("annotations.id", ondelete="CASCADE")
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When mail about it was queued, or found not wanted (app/services/outbox.py).
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="raise_on_sql")
    # What it is about; read through permissions.visible_copies, never shown on its own say-so.
    annotation: Mapped[Annotation | None] = relationship(lazy="raise_on_sql")
