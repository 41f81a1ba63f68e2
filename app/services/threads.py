"""Status changes of an annotation, with the thread bookkeeping every change must do."""

from __future__ import annotations

from sqlalchemy import update

from app.extensions import db
from app.models import Annotation, AnnotationStatus, User
from app.services.mentions import notify_mentions
from app.services.notifications import notify_reply
from app.services.versions import bump_discussion


def adjust_reply_count(reply: Annotation, delta: int) -> None:
    """The reply's parent counts one more (or one fewer) reply that everyone sees."""
    # An UPDATE ... SET n = n + 1 cannot lose a count to a concurrent writer. The unit of work
    # never sees it, so it raises the article's version itself (app/services/versions.py).
    db.session.execute(
        update(Annotation)
        .where(Annotation.id == reply.parent_id)
        .values(reply_count=Annotation.reply_count + delta)
        .execution_options(synchronize_session=False)
    )
    bump_discussion(db.session, [reply.article_id])


def became_visible(annotation: Annotation, author: User) -> None:
    """A reply now counts for everyone: its parent's count grows and its author is told.

    Members it @mentions are told now too (not while it was held for moderation)."""
    if annotation.parent_id is not None:
        adjust_reply_count(annotation, +1)
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
        adjust_reply_count(annotation, -1)
    db.session.flush()
