"""What a member is told about in the app (and, by their mail choices, by mail)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.user import User

if TYPE_CHECKING:
    from app.models.annotation import Annotation


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
