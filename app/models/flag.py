"""Readers' flags on annotations, kept after a moderator acts on them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.user import User


class FlagReason(enum.StrEnum):
    OFF_TOPIC = "off_topic"
    DISRESPECTFUL = "disrespectful"
    SPAM = "spam"
    OTHER = "other"


class Flag(db.Model):
    __tablename__ = "flags"
    __table_args__ = (
        UniqueConstraint("annotation_id", "user_id", name="uq_flags_annotation_user"),
        # The open flags, which the header's queue count reads on every moderator's page:
        # resolved flags are kept for good, so without it that count walks all of them.
        Index(
            "ix_flags_open",
            "annotation_id",
            postgresql_where=text("resolved_at IS NULL"),
            sqlite_where=text("resolved_at IS NULL"),
        ),
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
