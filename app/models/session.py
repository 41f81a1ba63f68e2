"""Sign-in sessions (one row per signed-in device) and the failed sign-ins that slow guessers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class UserSession(db.Model):
    """One signed-in browser: listed on the account page, ended one by one or all at once.

    The cookie carries a random secret; only its SHA-256 digest is stored, so a copy of the
    table cannot be turned back into a session.
    """

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user", "user_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Remembered sessions end at a fixed time; the others when idle for too long.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_agent: Mapped[str] = mapped_column(String(120), default="")
    address: Mapped[str] = mapped_column(String(64), default="")


class FailedSignin(db.Model):
    """One wrong password, kept for the backoff window and then pruned.

    `account` is a keyed digest of the normalised username (what was typed is not stored: people
    type passwords into the username field); `device` the digest of the sender's known-device
    cookie for that account, if it had one.
    """

    __tablename__ = "failed_signins"
    __table_args__ = (
        Index("ix_failed_signins_account", "account", "created_at"),
        Index("ix_failed_signins_address", "address", "created_at"),
        Index("ix_failed_signins_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    device: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
