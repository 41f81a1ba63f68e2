"""Status changes of an annotation, with the thread bookkeeping every change must do."""

from __future__ import annotations

from sqlalchemy import update

from app.extensions import db
from app.models import Annotation, AnnotationStatus, User
from app.services.mentions import notify_mentions
from app.services.notifications import notify_reply


def adjust_reply_count(annotation_id: int, delta: int) -> None:
    # An UPDATE ... SET n = n + 1 cannot lose a count to a concurrent writer.
    db.session.execute(
        update(Annotation)
        .where(Annotation.id == annotation_id)
        .values(reply_count=Annotation.reply_count + delta)
        .execution_options(synchronize_session=False)
    )


def became_visible(annotation: Annotation, author: User) -> None:
    """A reply now counts for everyone: its parent's count grows and its author is told.

    Members it @mentions are told now too (not while it was held for moderation)."""
    if annotation.parent_id is not None:
        adjust_reply_count(annotation.parent_id, +1)
        notify_reply(annotation, author)
    notify_mentions(annotation, author)


def set_status(annotation: Annotation, status: str) -> None:
    """Change an annotation's status, keeping its parent's reply count and notifications true."""
    before, annotation.status = annotation.status, status
    if before == status:
        return
    if status == AnnotationStatus.VISIBLE:
        author = db.session.get(User, annotation.author_id)
        if author is not None:
            became_visible(annotation, author)
    elif before == AnnotationStatus.VISIBLE and annotation.parent_id is not None:
        adjust_reply_count(annotation.parent_id, -1)
    db.session.flush()
