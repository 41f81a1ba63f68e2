"""Helpful marks (CONTRACT §7): one per reader per annotation, never on one's own, counted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, literal, select, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app import permissions
from app.extensions import db
from app.models import Annotation, AnnotationStatus, Flag, HelpfulMark, User
from app.models.base import utcnow
from app.services.errors import Conflict, Forbidden
from app.services.versions import bump_discussion


def _check(actor: User, annotation: Annotation) -> None:
    if permissions.is_author(actor, annotation):
        raise Forbidden("You cannot mark your own note as helpful.")
    if annotation.status != AnnotationStatus.VISIBLE:
        raise Conflict("Only a visible note can be marked as helpful.")
    if not permissions.can_mark_helpful(actor, annotation):
        raise Forbidden("Sign in to mark notes as helpful.")


def _count(annotation: Annotation, delta: int) -> None:
    # n = n + 1 in SQL (concurrent marks cannot lose one). The session's version hook does not
    # see an SQL expression as a change, so the page's version is raised here.
    annotation.helpful_count = Annotation.helpful_count + delta
    db.session.flush()
    bump_discussion(db.session, [annotation.article_id])
    db.session.refresh(annotation, ["helpful_count"])


def mark_helpful(actor: User, annotation: Annotation) -> bool:
    """Mark `annotation` as helpful to `actor`; False if it already was (nothing changes)."""
    _check(actor, annotation)
    # INSERT ... ON CONFLICT DO NOTHING: a second (or concurrent) mark by the same reader
    # inserts nothing, and nothing is counted twice.
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    added = db.session.execute(
        insert(HelpfulMark)
        .values(annotation_id=annotation.id, user_id=actor.id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["annotation_id", "user_id"])
        .returning(HelpfulMark.id)
    ).first()
    if added is None:
        return False
    _count(annotation, +1)
    return True


def unmark_helpful(actor: User, annotation: Annotation) -> bool:
    """Take `actor`'s mark back (whatever became of the note since); False if there was none."""
    gone = db.session.execute(
        delete(HelpfulMark).where(
            HelpfulMark.annotation_id == annotation.id, HelpfulMark.user_id == actor.id
        )
    ).rowcount
    if not gone:
        return False
    _count(annotation, -1)
    return True


def marked_ids(viewer: Any, annotation_ids: Iterable[int]) -> frozenset[int]:
    """Which of these annotations `viewer` marked as helpful: one query (none if signed out)."""
    ids = list(annotation_ids)
    user_id = getattr(viewer, "id", None) if isinstance(viewer, User) else None
    if user_id is None or not ids:
        return frozenset()
    rows = db.session.scalars(
        select(HelpfulMark.annotation_id).where(
            HelpfulMark.user_id == user_id, HelpfulMark.annotation_id.in_(ids)
        )
    )
    return frozenset(rows)


@dataclass(frozen=True)
class MyMarks:
    """What one reader did to the notes on a page: marked helpful, flagged."""

    helpful: frozenset[int] = frozenset()
    flagged: frozenset[int] = frozenset()


def my_marks(viewer: Any, annotation_ids: Iterable[int]) -> MyMarks:
    """The reader's helpful marks and flags among these notes: one query (none signed out)."""
    ids = list(annotation_ids)
    user_id = viewer.id if isinstance(viewer, User) else None
    if user_id is None or not ids:
        return MyMarks()
    marks = select(HelpfulMark.annotation_id, literal("helpful").label("what")).where(
        HelpfulMark.user_id == user_id, HelpfulMark.annotation_id.in_(ids)
    )
    flags = select(Flag.annotation_id, literal("flag").label("what")).where(
        Flag.user_id == user_id, Flag.annotation_id.in_(ids)
    )
    helpful: set[int] = set()
    flagged: set[int] = set()
    for annotation_id, what in db.session.execute(union_all(marks, flags)):
        (helpful if what == "helpful" else flagged).add(annotation_id)
    return MyMarks(frozenset(helpful), frozenset(flagged))
