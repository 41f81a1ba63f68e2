"""Helpful marks: one reader's vote that an annotation helped them (CONTRACT §7)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class HelpfulMark(db.Model):
    """One mark per reader per annotation; the services refuse marks on one's own notes."""

    __tablename__ = "helpful_marks"
    __table_args__ = (
        UniqueConstraint("annotation_id", "user_id", name="uq_helpful_marks_annotation_user"),
        Index("ix_helpful_marks_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    annotation_id: Mapped[int] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
