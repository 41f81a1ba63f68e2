"""Who may do what: the only module that decides, for views, the API and list queries alike.

Visibility: a public annotation is for everyone; a group annotation exists only for the
group's active members (and site admins); a private note only for its author. A pending
(held) annotation is seen by its author and the group's moderators alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import g, has_app_context
from sqlalchemy import ColumnElement, Select, and_, event, false, or_, select
from sqlalchemy.orm import Session, joinedload

from app.extensions import db
from app.models import (
    Annotation,
    AnnotationStatus,
    Article,
    Group,
    GroupRole,
    Membership,
    MembershipStatus,
    Reading,
    Role,
    User,
    Visibility,
)
from app.models.base import utcnow
from app.services.errors import Forbidden


@dataclass(frozen=True)
class Everyone:
    """Every reader of one discussion at once: the public one (`group_id` None) or a group's.

    The shared layer of a reading page is drawn for it (app/web/caching.py) and served to each
    of those readers, so it sees what every one of them sees and nothing more: no held note,
    no hidden note's words, no private note. It is nobody in particular, so every check about
    a person (author, member, moderator) answers no, as for a signed-out reader.
    """

    group_id: int | None = None


def _known(user: Any) -> User | None:
    """Flask-Login's anonymous user and None both mean 'nobody signed in'."""
    return user if isinstance(user, User) else None


def _is_admin(user: Any) -> bool:
    known = _known(user)
    return known is not None and known.role == Role.ADMIN


def _group_ids(user: User, role: str | None = None) -> Select[tuple[int]]:
    stmt = select(Membership.group_id).where(
        Membership.user_id == user.id, Membership.status == MembershipStatus.ACTIVE
    )
    return stmt.where(Membership.role == role) if role else stmt


_CACHE = "_cp_memberships"


def _memberships(user: User) -> dict[int, Membership]:
    """The user's active memberships, loaded once per request (a class has few groups): a
    page asks about them for every annotation it shows. `watch` keeps the cache true."""
    cache: dict[int, dict[int, Membership]] = g.setdefault(_CACHE, {})
    if user.id not in cache:
        rows = db.session.scalars(
            select(Membership)
            # With their groups: a group page finds its group here (my_group) at no cost.
            .options(joinedload(Membership.group))
            .where(Membership.user_id == user.id, Membership.status == MembershipStatus.ACTIVE)
        )
        cache[user.id] = {m.group_id: m for m in rows}
    return cache[user.id]


def _forget_memberships(*_args: Any) -> None:
    if has_app_context():
        g.pop(_CACHE, None)


def _after_flush(session: Session, _context: Any) -> None:
    """A flush that wrote a membership makes the cache stale: the next check reads afresh."""
    if any(isinstance(obj, Membership) for obj in (*session.new, *session.dirty, *session.deleted)):
        _forget_memberships()


def watch(session_class: Any) -> None:
    """Keep the memberships cache true (idempotent): create_app calls it once. Forgotten after
    any flush that writes a membership, and after a rollback (a twin request may have made
    the user a member meanwhile)."""
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "after_flush", _after_flush)
        event.listen(session_class, "after_soft_rollback", _forget_memberships)


def membership(user: Any, group_id: int | None) -> Membership | None:
    """The user's active membership of the group, if any."""
    known = _known(user)
    if known is None or group_id is None:
        return None
    found = _memberships(known).get(group_id)
    return found if found is not None and found.is_active else None


# --- list filters -------------------------------------------------------------------------


def visible_annotations(user: Any) -> ColumnElement[bool]:
    """SQL filter for the annotations `user` may know exist (any status)."""
    public = and_(
        Annotation.visibility == Visibility.PUBLIC, Annotation.status != AnnotationStatus.PENDING
    )
    if isinstance(user, Everyone):
        return public if user.group_id is None else _shared_in_group(user.group_id)
    known = _known(user)
    if known is None:
        return public
    in_group = Annotation.visibility == Visibility.GROUP
    if known.role == Role.ADMIN:
        return or_(Annotation.author_id == known.id, public, in_group)
    member_of = and_(
        in_group,
        Annotation.group_id.in_(_group_ids(known)),
        or_(
            Annotation.status != AnnotationStatus.PENDING,
            Annotation.group_id.in_(_group_ids(known, GroupRole.INSTRUCTOR)),
        ),
    )
    return or_(Annotation.author_id == known.id, public, member_of)


def _shared_in_group(group_id: int) -> ColumnElement[bool]:
    """What every active member of the group sees of its discussion (held notes excepted)."""
    return and_(
        Annotation.visibility == Visibility.GROUP,
        Annotation.group_id == group_id,
        Annotation.status != AnnotationStatus.PENDING,
    )


def visible_copies(user: Any) -> ColumnElement[bool]:
    """SQL filter for the annotations whose copies `user` may read: notifications about them,
    feedback on them, excerpts of them. The annotation's own rule, and for a group annotation
    a place in the group now: whoever leaves or is removed stops hearing its words, even
    about their own notes there. Decided when read, so leaving takes effect at once."""
    seen = visible_annotations(user)
    known = _known(user)
    if known is None or known.role == Role.ADMIN:
        return seen
    return and_(
        seen, or_(Annotation.group_id.is_(None), Annotation.group_id.in_(_group_ids(known)))
    )


def counted_annotations(user: Any) -> ColumnElement[bool]:
    """SQL filter for what counts in discussion counts for `user`."""
    return and_(visible_annotations(user), Annotation.status == AnnotationStatus.VISIBLE)


def visible_groups(user: Any) -> ColumnElement[bool]:
    """SQL filter for the groups `user` may see (members, instructors, admins)."""
    known = _known(user)
    if known is None:
        return false()
    if known.role == Role.ADMIN:
        return Group.id.is_not(None)
    return Group.id.in_(_group_ids(known))


# --- groups -------------------------------------------------------------------------------


def can_create_group(user: Any) -> bool:
    known = _known(user)
    return known is not None and known.role in (Role.INSTRUCTOR, Role.ADMIN)


def my_group(user: Any, slug: str) -> Group | None:
    """The group with this slug among the user's active memberships (read with them)."""
    known = _known(user)
    if known is None:
        return None
    return next((m.group for m in _memberships(known).values() if m.group.slug == slug), None)


def sees_the_shared_layer(user: Any, group: Group | None) -> bool:
    """Whether the reader sees the discussion as every reader of it does (their own notes and
    controls aside): anyone but its moderators, who also see held notes and hidden words."""
    return not can_moderate_group(user, group)


def can_view_group(user: Any, group: Group) -> bool:
    return _belongs(user, group.id)


def can_moderate_group(user: Any, group: Group | None) -> bool:
    """Instructors of the group and site admins moderate it (and manage it)."""
    if group is None:
        return _is_admin(user)
    if _is_admin(user):
        return True
    found = membership(user, group.id)
    return found is not None and found.is_instructor


def can_join_group(user: Any, group: Group) -> bool:
    return _known(user) is not None and not group.is_archived


def suspended_until(user: Any, group: Group, now: datetime | None = None) -> datetime | None:
    """When the user's suspension from posting in the group ends, or None if not suspended."""
    found = membership(user, group.id)
    if found is None or not found.is_suspended(now or utcnow()):
        return None
    return found.suspended_until


def can_post_to_group(user: Any, group: Group) -> bool:
    """Active, unsuspended members of a live group (instructors included)."""
    return (
        membership(user, group.id) is not None
        and not group.is_archived
        and suspended_until(user, group) is None
    )


# --- annotations --------------------------------------------------------------------------


def can_post(user: Any) -> bool:
    return _known(user) is not None


def _is_author(user: Any, annotation: Annotation) -> bool:
    known = _known(user)
    return known is not None and annotation.author_id == known.id


def _moderates(user: Any, annotation: Annotation) -> bool:
    if annotation.visibility == Visibility.PRIVATE:
        return False  # a private note is its author's alone, admins included
    if annotation.group_id is None:
        return _is_admin(user)
    if _is_admin(user):
        return True
    found = membership(user, annotation.group_id)
    return found is not None and found.is_instructor


def _belongs(user: Any, group_id: int | None) -> bool:
    return _is_admin(user) or membership(user, group_id) is not None


def can_view_annotation(user: Any, annotation: Annotation) -> bool:
    if _is_author(user, annotation):
        return True
    if annotation.visibility == Visibility.PRIVATE:
        return False
    if annotation.visibility == Visibility.GROUP and not _belongs(user, annotation.group_id):
        return False
    if annotation.status == AnnotationStatus.PENDING:
        return _moderates(user, annotation)
    return True


def can_read_copy(user: Any, annotation: Annotation) -> bool:
    """The rule of visible_copies for one annotation already loaded."""
    return can_view_annotation(user, annotation) and (
        annotation.group_id is None or _belongs(user, annotation.group_id)
    )


def can_see_body(user: Any, annotation: Annotation) -> bool:
    """Hidden and held annotations are placeholders except for their author and moderators."""
    if annotation.status == AnnotationStatus.VISIBLE:
        return True
    if annotation.status == AnnotationStatus.DELETED:
        return False
    return _is_author(user, annotation) or _moderates(user, annotation)


def can_see_moderation_reason(user: Any, annotation: Annotation) -> bool:
    """Why a moderator acted is told to the annotation's author and its moderators alone."""
    return _is_author(user, annotation) or _moderates(user, annotation)


def locked_out(user: Any, annotation: Annotation, thread_locked: bool = False) -> bool:
    """A lock makes a thread read-only: no edits or kind changes in it except by its moderators
    (replies: see can_reply). `thread_locked`: an annotation above this one is locked."""
    return (annotation.locked or thread_locked) and not _moderates(user, annotation)


def can_reply(user: Any, annotation: Annotation, thread_locked: bool = False) -> bool:
    """Whether `user` may reply to `annotation`; the group's own rules (archived, suspended)
    are checked with the group. `thread_locked`: an annotation above it is locked.

    A lock refuses every reply, its moderators' too: CONTRACT §4 promises a 409 to any reply
    to a locked annotation, and a moderator who wants the last word unlocks first (logged)."""
    return (
        can_post(user)
        and annotation.status == AnnotationStatus.VISIBLE
        and not (annotation.locked or thread_locked)
    )


def is_author(user: Any, annotation: Annotation) -> bool:
    return _is_author(user, annotation)


def can_mark_helpful(user: Any, annotation: Annotation) -> bool:
    """Any signed-in reader who can see it, on a visible note that is not their own."""
    return (
        _known(user) is not None
        and not _is_author(user, annotation)
        and annotation.status == AnnotationStatus.VISIBLE
        and can_view_annotation(user, annotation)
    )


def can_mark_answer(user: Any, reply: Annotation, question: Annotation) -> bool:
    """The question's author (or its moderators) marks a visible direct reply as the answer."""
    return (
        question.kind == "question"
        and reply.parent_id == question.id
        and reply.status == AnnotationStatus.VISIBLE
        and (_is_author(user, question) or _moderates(user, question))
    )


def can_edit_annotation(user: Any, annotation: Annotation, thread_locked: bool = False) -> bool:
    """Its author, until it is deleted, and not inside a locked thread (unless they moderate
    it). `thread_locked`: an annotation above it is locked."""
    return (
        _is_author(user, annotation)
        and annotation.status != AnnotationStatus.DELETED
        and not locked_out(user, annotation, thread_locked)
    )


def can_delete_annotation(user: Any, annotation: Annotation) -> bool:
    if annotation.status == AnnotationStatus.DELETED:
        return False
    return _is_author(user, annotation) or _moderates(user, annotation)


def can_moderate_annotation(user: Any, annotation: Annotation) -> bool:
    return _moderates(user, annotation)


def can_flag_annotation(user: Any, annotation: Annotation) -> bool:
    """A visible note someone else wrote: a placeholder (hidden, held, deleted) has nothing
    left to flag."""
    return (
        _known(user) is not None
        and not _is_author(user, annotation)
        and annotation.status == AnnotationStatus.VISIBLE
        and annotation.visibility != Visibility.PRIVATE
        and can_view_annotation(user, annotation)
    )


def can_give_feedback(user: Any, annotation: Annotation) -> bool:
    return annotation.group_id is not None and _moderates(user, annotation)


def can_see_feedback(user: Any, annotation: Annotation) -> bool:
    """The author while still in the group (feedback is the group's words), and its moderators."""
    if can_give_feedback(user, annotation):
        return True
    return _is_author(user, annotation) and can_read_copy(user, annotation)


# --- class insight and exports --------------------------------------------------------------


def can_view_insight(user: Any, group: Group) -> bool:
    """Participation, where the class is stuck, a member's work, the gradebook: the group's
    instructors (and site admins), who already moderate everything in it."""
    return can_moderate_group(user, group)


def can_export_discussion(user: Any, group: Group | None) -> bool:
    """Exporting a discussion in full: a group's instructors; site admins for the public one."""
    return can_moderate_group(user, group)


def can_import_annotations(user: Any, group: Group | None) -> bool:
    """Recreating annotations from an export: into a group, its instructors (who may write
    there; a site admin outside the group may not); into the public discussion, site admins."""
    if group is None:
        return _is_admin(user)
    found = membership(user, group.id)
    return found is not None and found.is_instructor


def can_manage_people(user: Any) -> bool:
    """Finding accounts, changing roles, disabling, sending reset links: site admins alone."""
    return _is_admin(user)


# --- readings: adding and revising articles ---------------------------------------------------


def can_add_article(user: Any) -> bool:
    """Site instructors and admins bring readings."""
    known = _known(user)
    return known is not None and known.role in (Role.INSTRUCTOR, Role.ADMIN)


def can_revise_article(user: Any, article: Article) -> bool:
    """The article's owner (who added it) or an admin."""
    known = _known(user)
    if known is None:
        return False
    return _is_admin(known) or (article.owner_id is not None and article.owner_id == known.id)


def can_view_health(user: Any, article: Article) -> bool:
    """The owner, an admin, or an instructor of a group that reads the article."""
    known = _known(user)
    if known is None:
        return False
    if can_revise_article(known, article):
        return True
    teaches = [m.group_id for m in _memberships(known).values() if m.is_active and m.is_instructor]
    if not teaches:
        return False
    reads = select(Reading.id).where(
        Reading.article_id == article.id, Reading.group_id.in_(teaches)
    )
    return db.session.scalar(reads.limit(1)) is not None


def can_reattach_annotation(user: Any, annotation: Annotation, article: Article) -> bool:
    """Its author, a moderator of its group, or whoever may revise the article."""
    return (
        _is_author(user, annotation)
        or _moderates(user, annotation)
        or can_revise_article(user, article)
    )


# --- refusals -----------------------------------------------------------------------------

# What each rule says when it refuses: the service that enforces it and a form page that asks
# first (to refuse before drawing the form) give the same words.
REFUSALS: dict[Callable[..., bool], str] = {
    can_create_group: "Only instructors can create groups.",
    can_flag_annotation: "You cannot flag this annotation.",
    can_give_feedback: "Only an instructor of this group can give feedback here.",
    can_edit_annotation: "Only the author can edit this annotation.",
    can_delete_annotation: "Only the author or a moderator can delete this annotation.",
}


def ensure(rule: Callable[..., bool], *args: Any) -> None:
    """Raise Forbidden with the rule's refusal unless `rule(*args)` allows it.

    The services call it: they are the authority. A GET form page may call it too, only to
    refuse before drawing a form its reader could not send."""
    if not rule(*args):
        raise Forbidden(REFUSALS[rule])
