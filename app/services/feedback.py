"""Private feedback: an instructor's note on one annotation, for its author and instructors."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import permissions
from app.extensions import db
from app.models import Annotation, Feedback, NotificationKind, User
from app.services.annotations import clean_body
from app.services.errors import Forbidden
from app.services.notifications import notify
from app.text import render_markdown


def give_feedback(actor: User, annotation: Annotation, body: str) -> Feedback:
    permissions.ensure(permissions.can_give_feedback, actor, annotation)
    text = clean_body(body)
    feedback = Feedback(
        annotation_id=annotation.id, author_id=actor.id, body=text, body_html=render_markdown(text)
    )
    feedback.author = actor
    db.session.add(feedback)
    notify(
        annotation.author_id,
        NotificationKind.FEEDBACK,
        f"{actor.display_name} left you feedback on your annotation.",
        annotation,
        actor,
    )
    db.session.flush()
    return feedback


def list_feedback(
    actor: Any, annotation: Annotation, after_id: int | None = None, limit: int | None = None
) -> list[Feedback]:
    """The feedback on `annotation`, oldest first: for its author and the group's instructors.

    `after_id` and `limit` page by id (ids grow with creation time).
    """
    if not permissions.can_see_feedback(actor, annotation):
        raise Forbidden("Feedback is for the annotation's author and the group's instructors.")
    stmt = (
        select(Feedback)
        .options(joinedload(Feedback.author))
        .where(Feedback.annotation_id == annotation.id)
        .order_by(Feedback.id)
    )
    if after_id is not None:
        stmt = stmt.where(Feedback.id > after_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def list_feedback_for(actor: Any, notes: list[Annotation]) -> dict[int, list[Feedback]]:
    """The feedback `actor` may read on each of `notes`, by annotation id, in one query.

    Only group notes take feedback, and notes the actor may not see it on are left out before
    asking: a page of public notes costs no query at all.
    """
    ids = {a.id for a in notes if a.group_id is not None and permissions.can_see_feedback(actor, a)}
    if not ids:
        return {}
    found: dict[int, list[Feedback]] = {}
    for item in db.session.scalars(
        select(Feedback)
        .options(joinedload(Feedback.author))
        .where(Feedback.annotation_id.in_(ids))
        .order_by(Feedback.id)
    ):
        found.setdefault(item.annotation_id, []).append(item)
    return found
