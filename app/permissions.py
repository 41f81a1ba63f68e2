"""Who may do what: the only module that decides, for views, the API and list queries alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from app.models import Annotation, AnnotationStatus, Role, User, Visibility


def _known(user: Any) -> User | None:
    """Flask-Login's anonymous user and None both mean 'nobody signed in'."""
    return user if isinstance(user, User) else None


def visible_annotations(user: Any) -> ColumnElement[bool]:
    """SQL filter for the annotations `user` may know exist (any status)."""
    known = _known(user)
    public = Annotation.visibility == Visibility.PUBLIC
    if known is None:
        return and_(public, Annotation.status != AnnotationStatus.PENDING)
    own = Annotation.author_id == known.id
    return or_(
        own,
        and_(public, Annotation.status != AnnotationStatus.PENDING),
    )


def counted_annotations(user: Any) -> ColumnElement[bool]:
    """SQL filter for what counts in a block's discussion counts for `user`."""
    return and_(visible_annotations(user), Annotation.status == AnnotationStatus.VISIBLE)


def can_view_annotation(user: Any, annotation: Annotation) -> bool:
    known = _known(user)
    if known is not None and annotation.author_id == known.id:
        return True
    if annotation.status == AnnotationStatus.PENDING:
        return False
    return annotation.visibility == Visibility.PUBLIC


def can_see_body(user: Any, annotation: Annotation) -> bool:
    """A hidden or deleted annotation is a placeholder for all but its author (hidden only)."""
    if annotation.status == AnnotationStatus.DELETED:
        return False
    if annotation.status == AnnotationStatus.VISIBLE:
        return True
    known = _known(user)
    return known is not None and annotation.author_id == known.id


def can_post(user: Any) -> bool:
    return _known(user) is not None


def can_edit_annotation(user: Any, annotation: Annotation) -> bool:
    known = _known(user)
    return (
        known is not None
        and annotation.author_id == known.id
        and annotation.status != AnnotationStatus.DELETED
    )


def can_delete_annotation(user: Any, annotation: Annotation) -> bool:
    known = _known(user)
    if known is None or annotation.status == AnnotationStatus.DELETED:
        return False
    return annotation.author_id == known.id or known.role == Role.ADMIN
