"""Moderation: flags, the queue, reversible actions, suspensions and the append-only log.

Nothing here deletes data: every action changes a status or a flag and appends a log entry
holding the previous state, so each one can be undone by its inverse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import contains_eager, joinedload

from app import permissions
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
from app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.services.groups import restore_member
from app.services.notifications import notify
from app.services.threads import set_status

ANNOTATION_ACTIONS = (
    "hide",
    "unhide",
    "approve",
    "lock",
    "unlock",
    "pin",
    "unpin",
    "delete",
    "restore",
)
MAX_REASON = 1_000
MAX_SUSPENSION = timedelta(days=365)

_S = AnnotationStatus
# action -> (statuses it applies to, the status it sets or None to leave the status alone)
_STATUS_RULES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "hide": ((_S.VISIBLE, _S.PENDING), _S.HIDDEN),
    "unhide": ((_S.HIDDEN,), _S.VISIBLE),
    "approve": ((_S.PENDING, _S.VISIBLE), _S.VISIBLE),
    "lock": ((_S.VISIBLE, _S.HIDDEN, _S.PENDING), None),
    "unlock": ((_S.VISIBLE, _S.HIDDEN, _S.PENDING), None),
    "pin": ((_S.VISIBLE,), None),
    "unpin": ((_S.VISIBLE, _S.HIDDEN), None),
    "delete": ((_S.VISIBLE, _S.HIDDEN, _S.PENDING), _S.DELETED),
    "restore": ((_S.DELETED,), None),
}
_TOGGLES = {"lock": ("locked", True), "unlock": ("locked", False),
            "pin": ("pinned", True), "unpin": ("pinned", False)}  # fmt: skip
_TOLD = {
    "hide": "An instructor hid your annotation",
    "unhide": "An instructor made your annotation visible again",
    "approve": "An instructor approved your annotation",
    "delete": "An instructor removed your annotation",
    "restore": "An instructor restored your annotation",
    "pin": "An instructor picked your annotation as exemplary",
    "lock": "An instructor locked the thread of your annotation: it takes no new replies",
    "unlock": "An instructor reopened the thread of your annotation",
}
# What a reader who flagged an annotation hears when a moderator acts on it.
_TOLD_FLAGGERS = {
    "hide": "An instructor hid the note you flagged",
    "delete": "An instructor removed the note you flagged",
    "approve": "An instructor reviewed the note you flagged and kept it",
}


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


def _check_transition(annotation: Annotation, action: str) -> None:
    allowed, _ = _STATUS_RULES[action]
    if annotation.status not in allowed:
        raise Conflict(f"Cannot {action} an annotation that is {annotation.status}.")
    if action in _TOGGLES:
        attr, value = _TOGGLES[action]
        if getattr(annotation, attr) == value:
            raise Conflict(f"The annotation is already {attr if value else 'not ' + attr}.")
    if action == "approve" and annotation.status == _S.VISIBLE and not _open_flags(annotation):
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


def _tell_flaggers(actor: User, annotation: Annotation, action: str, flaggers: list[int]) -> None:
    # Hearing the outcome is why flagging feels worth doing; the message names no one.
    told = _TOLD_FLAGGERS[action] + "."
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
    if entry is None or entry.action != "delete":
        raise Conflict("Its author deleted this annotation; only they could post it again.")
    return str(entry.previous.get("status", _S.VISIBLE))


def applicable_actions(annotation: Annotation) -> list[str]:
    """The actions that apply to the annotation's state now, for a moderator's buttons.

    Approving a visible annotation only dismisses its flags: the queue offers that, as "keep".
    """
    found = []
    for action in ANNOTATION_ACTIONS:
        allowed, _ = _STATUS_RULES[action]
        if annotation.status not in allowed:
            continue
        if action in _TOGGLES:
            attr, value = _TOGGLES[action]
            if getattr(annotation, attr) == value:
                continue
        if action == "approve" and annotation.status != _S.PENDING:
            continue
        found.append(action)
    return found


def moderate_annotation(
    actor: User, annotation: Annotation, action: str, reason: str | None = None
) -> ModerationAction:
    """Apply one moderation action to an annotation and log it."""
    if action not in ANNOTATION_ACTIONS:
        raise ValidationFailed(
            "Unknown action.", {"action": f"Action must be one of {', '.join(ANNOTATION_ACTIONS)}."}
        )
    if not permissions.can_moderate_annotation(actor, annotation):
        raise Forbidden("Only an instructor of this group can moderate it.")
    why = _reason(reason)
    _check_transition(annotation, action)
    previous = _snapshot(annotation)
    _apply(actor, annotation, action, why)
    entry = _log(actor, action, annotation.group_id, why, previous, annotation=annotation)
    if action in _TOLD:
        told = _TOLD[action] + (f": {why}" if why else ".")
        notify(annotation.author_id, NotificationKind.MODERATED, told, annotation, actor)
    db.session.flush()
    return entry


def _apply(actor: User, annotation: Annotation, action: str, why: str | None) -> None:
    if action in _TOGGLES:
        attr, value = _TOGGLES[action]
        setattr(annotation, attr, value)
        return
    if action == "restore":
        set_status(annotation, _status_before_delete(annotation))
        return
    was_pending = annotation.status == _S.PENDING
    _, new_status = _STATUS_RULES[action]
    if new_status is not None:
        set_status(annotation, new_status)
    if action in ("hide", "approve", "delete"):
        _tell_flaggers(actor, annotation, action, _resolve_flags(annotation))
    if action == "hide":
        annotation.moderation_reason = why
    elif action == "unhide":
        annotation.moderation_reason = None
    if action == "approve" and was_pending:
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
    if not permissions.can_flag_annotation(actor, annotation):
        raise Forbidden("You cannot flag this annotation.")
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


def queue_size(actor: User) -> int:
    """How many items wait in the queues of every group `actor` moderates."""
    return int(db.session.scalar(select(func.count()).where(*_waiting_in_queues_of(actor))) or 0)


def queue_sizes(actor: User) -> dict[str | None, int]:
    """How many items wait in each queue `actor` works, by group slug (None: the public
    queue, for admins), in one query; queues with nothing waiting are left out."""
    rows = db.session.execute(
        select(Group.slug, func.count())
        .select_from(Annotation)
        .outerjoin(Group, Group.id == Annotation.group_id)
        .where(*_waiting_in_queues_of(actor))
        .group_by(Group.slug)
    )
    return {slug: int(n) for slug, n in rows}


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
    permissions.forget_memberships()
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
    permissions.forget_memberships()
    db.session.flush()
    return entry


# --- undo ---------------------------------------------------------------------------------

# The action that undoes each action the log offers to undo.
INVERSES = {
    "hide": "unhide",
    "lock": "unlock",
    "pin": "unpin",
    "delete": "restore",
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
