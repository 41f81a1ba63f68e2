"""Mail and account administration: the outbox, each member's mail choices, the audit log."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.notification import NotificationKind
from app.models.user import User


class MailChoice(enum.StrEnum):
    IMMEDIATELY = "immediately"
    DIGEST = "digest"
    NEVER = "never"


# What a member is asked about, per notification kind, and what they get until they choose.
MAIL_KINDS: dict[str, tuple[str, MailChoice]] = {
    NotificationKind.REPLY: ("Replies to my notes", MailChoice.DIGEST),
    NotificationKind.COUNTER: ("Counterarguments to my notes", MailChoice.DIGEST),
    NotificationKind.MODERATED: ("Moderation of my notes", MailChoice.IMMEDIATELY),
    NotificationKind.FEEDBACK: ("Instructor feedback", MailChoice.IMMEDIATELY),
    NotificationKind.MENTION: ("Mentions of me", MailChoice.IMMEDIATELY),
    NotificationKind.READING: ("New readings assigned", MailChoice.DIGEST),
    NotificationKind.DUE: ("A reminder the day before a reading is due", MailChoice.IMMEDIATELY),
}


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for its first try, or for the next after a failure
    SENDING = "sending"  # claimed by a sender; a crash leaves it here until the lease ends
    SENT = "sent"
    FAILED = "failed"  # refused for good by the server, or out of tries


class AuditAction(enum.StrEnum):
    ROLE = "role"
    DISABLE = "disable"
    ENABLE = "enable"
    RESET_LINK = "reset_link"


class MailSettings(db.Model):
    """A member's mail choices per kind (absent: MAIL_KINDS' default) and digest bookkeeping."""

    __tablename__ = "mail_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    choices: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def choice(self, kind: str) -> MailChoice:
        default = MAIL_KINDS[kind][1] if kind in MAIL_KINDS else MailChoice.NEVER
        stored = (self.choices or {}).get(kind)
        return MailChoice(stored) if stored in set(MailChoice) else default


class OutboxMessage(db.Model):
    """One mail, rendered when queued and sent outside any request by `flask mail send`."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("status in ('queued','sending','sent','failed')", name="status"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # What it is about, once: queuing the same key twice queues nothing the second time.
    key: Mapped[str] = mapped_column(String(120), unique=True)
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    unsubscribe_url: Mapped[str | None] = mapped_column(String(500))
    message_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditEntry(db.Model):
    """An administrator's action on an account: who, to whom, what, before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="raise_on_sql")
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id], lazy="raise_on_sql")
