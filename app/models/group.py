"""Reading groups, their members and the readings assigned to them."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.article import Article
from app.models.base import UTCDateTime, utcnow
from app.models.user import User

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
