"""Request keys: a POST seen once (an API Idempotency-Key, a page form's one-time nonce)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class RequestKey(db.Model):
    """One keyed POST and, once answered, the answer to give its repeats.

    `scope` is whose key it is ("user:<id>", or "anon" for a signed-out form); `key` and
    `fingerprint` are HMACs under SECRET_KEY of what the client sent (a form's fields may hold
    a password; a copy of the database must not give it away). The unique (scope, key) is
    what makes a repeat wait for, then replay, the first answer instead of doing the work
    twice. `status` stays null while the first request is being answered.
    """

    __tablename__ = "request_keys"
    __table_args__ = (
        UniqueConstraint("scope", "key", name="uq_request_keys_scope_key"),
        Index("ix_request_keys_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))  # the request it first came with
    claim: Mapped[str] = mapped_column(String(32))  # which request holds it (never reused)
    status: Mapped[int | None] = mapped_column(Integer)
    location: Mapped[str | None] = mapped_column(String(2000))
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @staticmethod
    def user_scope(user_id: int) -> str:
        """The scope of a signed-in member's keys (deleting the account deletes them)."""
        return f"user:{user_id}"
