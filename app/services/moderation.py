"""Moderation: flags, the queue, reversible actions, suspensions and the append-only log.

Nothing here deletes data: every action changes a status or a flag and appends a log entry
holding the previous state, so each one can be undone by its inverse.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    String,
    and_,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union,
    union_all,
    update,
)
from sqlalchemy.orm import contains_eager, joinedload

from app import permissions, shapes
from app.extensions import db
from app.models import (
    Annotation,
    AnnotationStatus,
    Flag,
    FlagReason,
    Group,
    GroupRole,
    Membership,
    MembershipStatus,
    ModerationAction,
    NotificationKind,
    User,
)
from app.models.base import utcnow
from app.services import notifications
from app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.services.groups import restore_member
from app.services.notifications import notify
from app.services.threads import set_status

MAX_REASON = 1_000
MAX_SUSPENSION = timedelta(days=365)

_S = AnnotationStatus
_ANY = (_S.VISIBLE, _S.HIDDEN, _S.PENDING)


class AnnotationAction(enum.StrEnum):
    """What a moderator can do to an annotation; ACTIONS says what each one means."""

    HIDE = "hide"
    UNHIDE = "unhide"
    APPROVE = "approve"
    LOCK = "lock"
    UNLOCK = "unlock"
    PIN = "pin"
    UNPIN = "unpin"
    DELETE = "delete"
    RESTORE = "restore"


@dataclass(frozen=True)
class ActionRule:
    """One action: the states it applies to, what it changes, and the words around it."""

    applies_to: tuple[AnnotationStatus, ...]
    label: str  # a moderator's button
    done: str  # what the moderator is told once it is done
    logged: str  # what the log says it did, after the actor's name
    sets: AnnotationStatus | None = None  # the status it sets (None: leaves it alone)
    toggles: tuple[str, bool] | None = None  # the flag it sets, and to what
    # True: the reason is kept on the note for its author; False: the kept reason is cleared.
    keeps_reason: bool | None = None
    told_author: str | None = None  # what the author hears (None: nothing)
    told_flaggers: str | None = None  # what the readers who flagged it hear; it closes the flags
    inverse: AnnotationAction | None = None  # the action that undoes it, offered in the log


_A = AnnotationAction
# The one table of moderation actions on annotations, in the order their buttons are offered.
ACTIONS: dict[AnnotationAction, ActionRule] = {
    _A.HIDE: ActionRule(
        (_S.VISIBLE, _S.PENDING), "Hide",
        "Hidden. Its author sees your reason; the others see a placeholder.", "hid",
        sets=_S.HIDDEN, keeps_reason=True, inverse=_A.UNHIDE,
        told_author="An instructor hid your annotation",
        told_flaggers="An instructor hid the note you flagged",
    ),
    _A.UNHIDE: ActionRule(
        (_S.HIDDEN,), "Unhide", "It is visible again.", "made visible again",
        sets=_S.VISIBLE, keeps_reason=False,
        told_author="An instructor made your annotation visible again",
    ),
    _A.APPROVE: ActionRule(
        (_S.PENDING, _S.VISIBLE), "Approve", "Approved: the group sees it now.", "approved",
        sets=_S.VISIBLE,
        told_author="An instructor approved your annotation",
        told_flaggers="An instructor reviewed the note you flagged and kept it",
    ),
    _A.LOCK: ActionRule(
        _ANY, "Lock thread", "Thread locked: it takes no new replies.", "locked the thread of",
        toggles=("locked", True), inverse=_A.UNLOCK,
        told_author="An instructor locked the thread of your annotation: it takes no new replies",
    ),
    _A.UNLOCK: ActionRule(
        _ANY, "Unlock thread", "Thread unlocked.", "unlocked the thread of",
        toggles=("locked", False),
        told_author="An instructor reopened the thread of your annotation",
    ),
    _A.PIN: ActionRule(
        (_S.VISIBLE,), "Pin as instructor’s pick",
        "Pinned as an instructor’s pick: it comes first in its paragraph’s discussion.",
        "pinned as an instructor’s pick",
        toggles=("pinned", True), inverse=_A.UNPIN,
        told_author="An instructor picked your annotation as exemplary",
    ),
    _A.UNPIN: ActionRule(
        (_S.VISIBLE, _S.HIDDEN), "Unpin", "Unpinned.", "unpinned", toggles=("pinned", False)
    ),
    _A.DELETE: ActionRule(
        _ANY, "Delete", "Deleted. You can restore it from the moderation log.", "deleted",
        sets=_S.DELETED, inverse=_A.RESTORE,
        told_author="An instructor removed your annotation",
        told_flaggers="An instructor removed the note you flagged",
    ),
    _A.RESTORE: ActionRule(
        (_S.DELETED,), "Restore", "Restored.", "restored",
        told_author="An instructor restored your annotation",
    ),
}  # fmt: skip
ANNOTATION_ACTIONS = tuple(AnnotationAction)


def _reason(reason: str | None) -> str | None:
    text = (reason or "").strip()
    if len(text) > MAX_REASON:
        raise ValidationFailed(
            "The reason is too long.", {"reason": f"Use at most {MAX_REASON:,} characters."}
        )
    return text or None


def _snapshot(annotation: Annotation) -> dict[str, Any]:
    return {"status": annotation.status, "locked": annotation.locked, "pinned": annotation.pinned}


def _log(
    actor: User,
    action: str,
    group_id: int | None,
    reason: str | None,
    previous: dict[str, Any],
    annotation: Annotation | None = None,
    subject: User | None = None,
) -> ModerationAction:
    entry = ModerationAction(
        group_id=group_id,
        annotation_id=annotation.id if annotation else None,
        subject_user_id=subject.id if subject else None,
        actor_id=actor.id,
        action=action,
        reason=reason,
        previous=previous,
    )
    db.session.add(entry)
    return entry


def _check_transition(annotation: Annotation, action: AnnotationAction) -> None:
    rule = ACTIONS[action]
    if annotation.status not in rule.applies_to:
        raise Conflict(f"Cannot {action} an annotation that is {annotation.status}.")
    if rule.toggles is not None:
        attr, value = rule.toggles
        if getattr(annotation, attr) == value:
            raise Conflict(f"The annotation is already {attr if value else 'not ' + attr}.")
    if action == _A.APPROVE and annotation.status == _S.VISIBLE and not _open_flags(annotation):
        raise Conflict("Nothing to approve: the annotation is visible and unflagged.")


def _open_flags(annotation: Annotation) -> int:
    return int(
        db.session.scalar(
            select(func.count()).where(
                Flag.annotation_id == annotation.id, Flag.resolved_at.is_(None)
            )
        )
        or 0
    )


def _resolve_flags(annotation: Annotation) -> list[int]:
    """Close the open flags on the annotation; returns who had flagged it."""
    rows = db.session.execute(
        update(Flag)
        .where(Flag.annotation_id == annotation.id, Flag.resolved_at.is_(None))
        .values(resolved_at=utcnow())
        .returning(Flag.user_id)
        .execution_options(synchronize_session=False)
    )
    return [user_id for (user_id,) in rows]


def _tell_flaggers(actor: User, annotation: Annotation, told: str, flaggers: list[int]) -> None:
    # Hearing the outcome is why flagging feels worth doing; the message names no one.
    told += "."
    for user_id in flaggers:
        notify(user_id, NotificationKind.FLAG_OUTCOME, told, annotation, actor)


def _status_before_delete(annotation: Annotation) -> str:
    """What a moderator's delete replaced; an author's own delete is not theirs to undo."""
    entry = db.session.scalar(
        select(ModerationAction)
        .where(ModerationAction.annotation_id == annotation.id)
        .order_by(ModerationAction.id.desc())
        .limit(1)
    )
    if entry is None or entry.action != _A.DELETE:
        raise Conflict("Its author deleted this annotation; only they could post it again.")
    return str(entry.previous.get("status", _S.VISIBLE))


def applicable_actions(annotation: Annotation) -> list[AnnotationAction]:
    """The actions that apply to the annotation's state now, for a moderator's buttons.

    Approving a visible annotation only dismisses its flags: the queue offers that, as "keep".
    """
    found = []
    for action, rule in ACTIONS.items():
        if annotation.status not in rule.applies_to:
            continue
        if rule.toggles is not None:
            attr, value = rule.toggles
            if getattr(annotation, attr) == value:
                continue
        if action == _A.APPROVE and annotation.status != _S.PENDING:
            continue
        found.append(action)
    return found


def _known_action(action: str) -> AnnotationAction:
    try:
        return AnnotationAction(action)
    except ValueError:
        raise ValidationFailed(
            "Unknown action.", {"action": f"Action must be one of {', '.join(ANNOTATION_ACTIONS)}."}
        ) from None


def moderate_annotation(
    actor: User, annotation: Annotation, action: str, reason: str | None = None
) -> ModerationAction:
    """Apply one moderation action (an AnnotationAction or its name) to an annotation, log it."""
    action = _known_action(action)
    if not permissions.can_moderate_annotation(actor, annotation):
        raise Forbidden("Only an instructor of this group can moderate it.")
    why = _reason(reason)
    _check_transition(annotation, action)
    previous = _snapshot(annotation)
    _apply(actor, annotation, action, why)
    entry = _log(actor, action, annotation.group_id, why, previous, annotation=annotation)
    told_author = ACTIONS[action].told_author
    if told_author is not None:
        told = told_author + (f": {why}" if why else ".")
        notify(annotation.author_id, NotificationKind.MODERATED, told, annotation, actor)
    db.session.flush()
    return entry


def _apply(actor: User, annotation: Annotation, action: AnnotationAction, why: str | None) -> None:
    rule = ACTIONS[action]
    if rule.toggles is not None:
        attr, value = rule.toggles
        setattr(annotation, attr, value)
        return
    if action == _A.RESTORE:
        set_status(annotation, _status_before_delete(annotation))
        return
    was_pending = annotation.status == _S.PENDING
    if rule.sets is not None:
        set_status(annotation, rule.sets)
    if rule.told_flaggers is not None:
        _tell_flaggers(actor, annotation, rule.told_flaggers, _resolve_flags(annotation))
    if rule.keeps_reason is not None:
        annotation.moderation_reason = why if rule.keeps_reason else None
    if action == _A.APPROVE and was_pending:
        _count_approved(annotation)


def _count_approved(annotation: Annotation) -> None:
    if annotation.group_id is None:
        return
    db.session.execute(
        update(Membership)
        .where(
            Membership.group_id == annotation.group_id, Membership.user_id == annotation.author_id
        )
        .values(approved_posts=Membership.approved_posts + 1)
        .execution_options(synchronize_session=False)
    )


# --- flags --------------------------------------------------------------------------------


def flag_annotation(
    actor: User, annotation: Annotation, reason: str, details: str | None = None
) -> Flag:
    """Flag an annotation for its moderators, once per person."""
    permissions.ensure(permissions.can_flag_annotation, actor, annotation)
    if reason not in set(FlagReason):
        raise ValidationFailed(
            "Unknown reason.", {"reason": f"Reason must be one of {', '.join(FlagReason)}."}
        )
    text = _reason(details)
    if reason == FlagReason.OTHER and not text:
        raise ValidationFailed("Say what is wrong.", {"details": "Describe the problem."})
    exists = db.session.scalar(
        select(Flag.id).where(Flag.annotation_id == annotation.id, Flag.user_id == actor.id)
    )
    if exists is not None:
        raise Conflict("You have already flagged this annotation.")
    flag = Flag(annotation_id=annotation.id, user_id=actor.id, reason=reason, details=text)
    flag.user = actor
    db.session.add(flag)
    db.session.flush()
    return flag


# --- the queue and the log ----------------------------------------------------------------


@dataclass
class QueueItem:
    annotation: Annotation
    flags: list[Flag] = field(default_factory=list)
    thread: list[Annotation] = field(default_factory=list)


def _queue_filter(group: Group | None) -> Any:
    flagged = select(Flag.annotation_id).where(Flag.resolved_at.is_(None))
    in_scope = (
        Annotation.group_id == group.id if group is not None else Annotation.visibility == "public"
    )
    waiting = or_(Annotation.status == _S.PENDING, Annotation.id.in_(flagged))
    return in_scope, waiting, Annotation.status != _S.DELETED


def moderation_queue(
    actor: User, group: Group | None, limit: int = 100, after_id: int | None = None
) -> list[QueueItem]:
    """Flagged and held annotations of a group (None: public ones, for admins), oldest first.

    `after_id` pages on: the items after that annotation in the queue's order. Each item comes
    with its author, block, article and group loaded, its open flags, and its whole thread.
    """
    if not permissions.can_moderate_group(actor, group):
        raise Forbidden("Only the group's instructors see its moderation queue.")
    stmt = (
        select(Annotation)
        .join(Annotation.author)
        .join(Annotation.block)
        .options(
            contains_eager(Annotation.author),
            contains_eager(Annotation.block),
            joinedload(Annotation.article),
            joinedload(Annotation.group),
        )
        .where(*_queue_filter(group))
        .order_by(Annotation.created_at, Annotation.id)
        .limit(limit)
    )
    if after_id is not None:
        last = select(Annotation.created_at).where(Annotation.id == after_id).scalar_subquery()
        stmt = stmt.where(
            or_(
                Annotation.created_at > last,
                and_(Annotation.created_at == last, Annotation.id > after_id),
            )
        )
    annotations = list(db.session.scalars(stmt))
    items = {a.id: QueueItem(a) for a in annotations}
    if not items:
        return []
    flags = db.session.scalars(
        select(Flag)
        .options(joinedload(Flag.user))
        .where(Flag.annotation_id.in_(items), Flag.resolved_at.is_(None))
        .order_by(Flag.created_at)
    )
    for flag in flags:
        items[flag.annotation_id].flags.append(flag)
    _attach_threads(actor, list(items.values()))
    return list(items.values())


def _attach_threads(actor: User, items: list[QueueItem]) -> None:
    roots = {item.annotation.root_id for item in items}
    thread = db.session.scalars(
        select(Annotation)
        .options(
            joinedload(Annotation.author),
            joinedload(Annotation.block),
            joinedload(Annotation.article),
            joinedload(Annotation.group),
        )
        .where(Annotation.root_id.in_(roots), permissions.visible_annotations(actor))
        .order_by(Annotation.created_at, Annotation.id)
    ).all()
    by_root: dict[int | None, list[Annotation]] = {}
    for a in thread:
        by_root.setdefault(a.root_id, []).append(a)
    for item in items:
        item.thread = by_root.get(item.annotation.root_id, [])


def _waiting_in_queues_of(actor: User) -> tuple[Any, ...]:
    """SQL filters for the items waiting in every queue `actor` works."""
    if permissions.can_moderate_group(actor, None):
        groups: Any = select(Group.id)
    else:
        groups = select(Membership.group_id).where(
            Membership.user_id == actor.id,
            Membership.role == GroupRole.INSTRUCTOR,
            Membership.status == MembershipStatus.ACTIVE,
        )
    flagged = select(Flag.annotation_id).where(Flag.resolved_at.is_(None))
    scope = Annotation.group_id.in_(groups)
    if permissions.can_moderate_group(actor, None):
        scope = or_(scope, Annotation.visibility == "public")
    return (
        scope,
        Annotation.status != _S.DELETED,
        or_(Annotation.status == _S.PENDING, Annotation.id.in_(flagged)),
    )


def _waiting_ids(actor: User) -> Any:
    """The ids of the items waiting in every queue `actor` works, as _waiting_in_queues_of
    finds them: held notes, and notes with an open flag, each found through its own index.
    (The two as one OR made PostgreSQL walk every group note on each signed-in page.)"""
    scope, not_deleted, _held_or_flagged = _waiting_in_queues_of(actor)
    held = select(Annotation.id).where(scope, Annotation.status == _S.PENDING)
    flagged = (
        select(Annotation.id)
        .join(Flag, Flag.annotation_id == Annotation.id)
        .where(Flag.resolved_at.is_(None), scope, not_deleted)
    )
    return union(held, flagged).subquery()


def queue_size(actor: User) -> int:
    """How many items wait in the queues of every group `actor` moderates."""
    return sum(queue_sizes(actor).values())


def queue_sizes(actor: User) -> dict[str | None, int]:
    """How many items wait in each queue `actor` works, by group slug (None: the public
    queue, for admins), in one query; queues with nothing waiting are left out."""
    return header_counts(actor, unread=False).queues


@dataclass(frozen=True)
class HeaderCounts:
    """What the site header tells a signed-in reader: unread notifications, and the items
    waiting in each queue they work by group slug (None: the public queue, for admins)."""

    unread: int = 0
    queues: dict[str | None, int] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: Any) -> HeaderCounts:
        """From the rows of header_parts (what, n, slug), read on their own or in a union."""
        unread, queues = 0, {}
        for what, n, slug in rows:
            if what == "unread":
                unread = int(n)
            else:
                queues[slug] = int(n)
        return cls(unread, queues)


def header_parts(actor: User, unread: bool = True) -> list[Any]:
    """The statements counting what the header shows, each of rows (what, n, slug), for one
    union: a page may join them to its own (app/services/personal.py)."""
    waiting = _waiting_ids(actor)
    queues = (
        select(literal("queue").label("what"), func.count().label("n"), Group.slug.label("slug"))
        .select_from(waiting)
        .join(Annotation, Annotation.id == waiting.c.id)
        .outerjoin(Group, Group.id == Annotation.group_id)
        .group_by(Group.slug)
    )
    if not unread:
        return [queues]
    counted = notifications.unread_select(actor).subquery()
    return [
        select(
            literal("unread").label("what"),
            counted.c[0].label("n"),
            cast(null(), String).label("slug"),
        ),
        queues,
    ]


def header_counts(actor: User, unread: bool = True) -> HeaderCounts:
    """The header's counts in one statement (built once per role: app/shapes.py)."""
    statement = _header_statement(actor.role, unread)
    return HeaderCounts.of(db.session.execute(statement, shapes.values(actor)))


@shapes.once_per_shape
def _header_statement(role: str, unread: bool) -> Any:
    return union_all(*header_parts(shapes.reader_like(role), unread))


def _in_log_of(group: Group | None) -> Any:
    """Entries of the group's log, or of the public discussion's (group None, admins')."""
    if group is None:
        return ModerationAction.group_id.is_(None)
    return ModerationAction.group_id == group.id


def moderation_log(
    actor: User, group: Group | None, limit: int = 100, before_id: int | None = None
) -> list[ModerationAction]:
    """The group's log (None: the public discussion's), newest first."""
    if not permissions.can_moderate_group(actor, group):
        raise Forbidden("Only the group's instructors read its moderation log.")
    stmt = (
        select(ModerationAction)
        .options(joinedload(ModerationAction.actor), joinedload(ModerationAction.subject_user))
        .where(_in_log_of(group))
        .order_by(ModerationAction.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        stmt = stmt.where(ModerationAction.id < before_id)
    return list(db.session.scalars(stmt))


# --- members ------------------------------------------------------------------------------


def _member(group: Group, user: User) -> Membership:
    found = db.session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == user.id)
    )
    if found is None:
        raise ValidationFailed("Not a member.", {"user": f"{user.username} is not in this group."})
    return found


def _member_snapshot(m: Membership) -> dict[str, Any]:
    until = m.suspended_until.isoformat() if m.suspended_until else None
    return {"status": m.status, "role": m.role, "suspended_until": until}


def suspend_member(
    actor: User, group: Group, user: User, until: datetime, reason: str | None = None
) -> ModerationAction:
    """Stop a member posting in the group until `until`; they can still read."""
    if not permissions.can_moderate_group(actor, group):
        raise Forbidden("Only the group's instructors can suspend members.")
    member = _member(group, user)
    now = utcnow()
    if member.is_instructor:
        raise Conflict("Instructors cannot be suspended; remove their instructor role first.")
    if not now < until <= now + MAX_SUSPENSION:
        raise ValidationFailed(
            "Choose a suspension end in the future, at most a year away.",
            {"until": "Pick a date between now and a year from now."},
        )
    previous = _member_snapshot(member)
    member.suspended_until = until
    why = _reason(reason)
    entry = _log(actor, "suspend", group.id, why, previous, subject=user)
    told = f"You are suspended from posting in {group.name} until {until:%Y-%m-%d %H:%M} UTC"
    notify(user.id, NotificationKind.MODERATED, told + (f": {why}" if why else "."), actor=actor)
    db.session.flush()
    return entry


def unsuspend_member(
    actor: User, group: Group, user: User, reason: str | None = None
) -> ModerationAction:
    if not permissions.can_moderate_group(actor, group):
        raise Forbidden("Only the group's instructors can lift suspensions.")
    member = _member(group, user)
    if not member.is_suspended(utcnow()):
        raise Conflict(f"{user.username} is not suspended.")
    previous = _member_snapshot(member)
    member.suspended_until = None
    entry = _log(actor, "unsuspend", group.id, _reason(reason), previous, subject=user)
    notify(user.id, NotificationKind.MODERATED, f"You may post in {group.name} again.", actor=actor)
    db.session.flush()
    return entry


# --- undo ---------------------------------------------------------------------------------

# The action that undoes each action the log offers to undo.
INVERSES: dict[str, str] = {
    **{action: rule.inverse for action, rule in ACTIONS.items() if rule.inverse is not None},
    "suspend": "unsuspend",
    "remove_member": "restore_member",
}
# Actions that set (or reset) the same thing: a later one of these makes an earlier one stale.
_SAME_THING = {action: action for action in INVERSES} | {
    inverse: action for action, inverse in INVERSES.items()
}


def undoable(entries: list[ModerationAction]) -> set[int]:
    """The ids of the entries (given newest first) that an Undo still applies to: the action
    has an inverse and nothing later in the log set the same thing again, or back."""
    seen: set[tuple[int | None, int | None, str]] = set()
    found: set[int] = set()
    for entry in entries:
        thing = _SAME_THING.get(entry.action)
        if thing is None:
            continue
        key = (entry.annotation_id, entry.subject_user_id, thing)
        if key not in seen and entry.action in INVERSES:
            found.add(entry.id)
        seen.add(key)
    return found


def undo_action(
    actor: User, group: Group | None, entry_id: int, reason: str | None = None
) -> ModerationAction | None:
    """Apply the inverse of one entry of the group's log (hide → unhide, suspend → lift, ...).

    The inverse is an action of its own, checked and logged like any other.
    """
    if not permissions.can_moderate_group(actor, group):
        raise Forbidden("Only the group's instructors can undo its moderation.")
    entry = db.session.scalar(
        select(ModerationAction)
        .options(joinedload(ModerationAction.subject_user))
        .where(ModerationAction.id == entry_id, _in_log_of(group))
    )
    if entry is None:
        raise NotFound("No such entry in this group's log.")
    inverse = INVERSES.get(entry.action)
    if inverse is None:
        raise Conflict("That action has no undo.")
    if entry.annotation_id is not None:
        annotation = db.session.get(Annotation, entry.annotation_id)
        if annotation is None:
            raise NotFound("No such annotation.")
        return moderate_annotation(actor, annotation, inverse, reason)
    if entry.subject_user is None or group is None:
        raise Conflict("That action has no undo.")
    if inverse == "unsuspend":
        return unsuspend_member(actor, group, entry.subject_user, reason)
    restore_member(actor, group, entry.subject_user.username)
    return None


def log_annotations(actor: User, entries: list[ModerationAction]) -> dict[int, Annotation]:
    """The annotations the log entries are about, with their authors, in one query."""
    ids = {e.annotation_id for e in entries if e.annotation_id is not None}
    if not ids:
        return {}
    return {
        a.id: a
        for a in db.session.scalars(
            select(Annotation)
            .options(joinedload(Annotation.author))
            .where(Annotation.id.in_(ids), permissions.visible_annotations(actor))
        )
    }
