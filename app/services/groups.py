"""Reading groups: create, join, leave, manage members, readings and settings."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import contains_eager, joinedload

from app import permissions
from app.extensions import db
from app.models import (
    Article,
    Group,
    GroupRole,
    Membership,
    MembershipStatus,
    ModerationAction,
    Premoderation,
    Reading,
    User,
)
from app.models.base import utcnow
from app.models.group import JOIN_CODE_LIFETIME, new_join_code
from app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.services.names import check_group_name
from app.services.reminders import notify_reading_assigned

MAX_NAME = 120
MAX_HELD_POSTS = 100  # pre-moderation of new members: their first posts held, at most
# Pages under /groups/ whose names a group's slug must not take.
RESERVED_SLUGS = frozenset({"new", "join"})


def slugify(text: str, max_length: int = 60) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "group"


def _unique_slug(base: str) -> str:
    like = (Group.slug == base) | Group.slug.like(f"{base}-%")
    taken = set(db.session.scalars(select(Group.slug).where(like))) | RESERVED_SLUGS
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _clean_name(name: str, group_id: int | None = None) -> str:
    """The name as stored and shown back (services/names.py): tidied, no invisible characters,
    no look-alike of another group's name; 1–MAX_NAME characters once tidied."""
    clean = check_group_name(name, group_id)
    if not clean or len(clean) > MAX_NAME:
        raise ValidationFailed("The group needs a name.", {"name": f"Use 1–{MAX_NAME} characters."})
    return clean


def _require_manager(actor: User, group: Group) -> None:
    if not permissions.can_moderate_group(actor, group):
        raise Forbidden("Only the group's instructors can do that.")


def _log(actor: User, group: Group, action: str, previous: dict, subject: User | None = None,
         reason: str | None = None) -> None:  # fmt: skip
    db.session.add(
        ModerationAction(
            group_id=group.id,
            actor_id=actor.id,
            subject_user_id=subject.id if subject else None,
            action=action,
            reason=reason,
            previous=previous,
        )
    )


def create_group(actor: User, name: str) -> Group:
    """A new group; its creator becomes its first instructor."""
    permissions.ensure(permissions.can_create_group, actor)
    clean = _clean_name(name)
    group = Group(slug=_unique_slug(slugify(clean)), name=clean, created_by_id=actor.id)
    db.session.add(group)
    db.session.flush()
    db.session.add(Membership(group_id=group.id, user_id=actor.id, role=GroupRole.INSTRUCTOR))
    db.session.flush()
    return group


def get_group(actor: object, slug: str) -> Group:
    """The group if `actor` may see it; NotFound for everyone else (its existence is private)."""
    group = permissions.my_group(actor, slug) or db.session.scalar(
        select(Group).where(Group.slug == slug)
    )
    if group is None or not permissions.can_view_group(actor, group):
        raise NotFound("No such group.")
    return group


def find_group_by_code(code: str) -> Group:
    """The group a join code (or invite link) opens, for its invite page; unknown or expired
    codes are ValidationFailed, as when joining."""
    clean = (code or "").strip().upper().replace("-", "").replace(" ", "")
    group = db.session.scalar(select(Group).where(Group.join_code == clean)) if clean else None
    if group is None:
        raise ValidationFailed("Unknown join code.", {"join_code": "No group has that code."})
    if group.join_code_expires_at <= utcnow():
        raise ValidationFailed(
            "That join code has expired.",
            {"join_code": "Ask your instructor for a new code."},
        )
    return group


def join_group(actor: User, code: str) -> Group:
    """Join by code (or invite link); joining again after leaving restores the membership."""
    group = find_group_by_code(code)
    if not permissions.can_join_group(actor, group):
        raise Conflict("This group is archived and takes no new members.")
    member = db.session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == actor.id)
    )
    if member is None:
        db.session.add(Membership(group_id=group.id, user_id=actor.id))
    elif member.status == MembershipStatus.REMOVED:
        raise Forbidden("An instructor removed you from this group; ask them to re-admit you.")
    elif member.status == MembershipStatus.LEFT:
        member.status = MembershipStatus.ACTIVE
        member.role = GroupRole.MEMBER
        member.joined_at = utcnow()
    db.session.flush()
    return group


def leave_group(actor: User, group: Group) -> None:
    member = permissions.membership(actor, group.id)
    if member is None:
        raise NotFound("No such group.")
    if member.is_instructor and _instructor_count(group) == 1:
        raise Conflict("You are the group's only instructor: add another before leaving.")
    member.status = MembershipStatus.LEFT
    db.session.flush()


def _instructor_count(group: Group) -> int:
    return int(
        db.session.scalar(
            select(func.count()).where(
                Membership.group_id == group.id,
                Membership.role == GroupRole.INSTRUCTOR,
                Membership.status == MembershipStatus.ACTIVE,
            )
        )
        or 0
    )


def _find_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise ValidationFailed("Unknown user.", {"username": f"No user {username!r}."})
    return user


def _active_member(group: Group, user: User) -> Membership:
    member = permissions.membership(user, group.id)
    if member is None:
        raise ValidationFailed(
            "Not a member.", {"username": f"{user.username} is not a member of this group."}
        )
    return member


def set_member_role(actor: User, group: Group, username: str, role: str) -> Membership:
    """Make a member a co-instructor, or an instructor a member again."""
    _require_manager(actor, group)
    if role not in set(GroupRole):
        raise ValidationFailed("Unknown role.", {"role": "Use member or instructor."})
    user = _find_user(username)
    member = _active_member(group, user)
    if member.role == role:
        raise Conflict(f"{user.username} is already a {role}.")
    if role == GroupRole.MEMBER and _instructor_count(group) == 1:
        raise Conflict("A group needs at least one instructor.")
    previous = {"role": member.role}
    member.role = role
    _log(actor, group, f"role_{role}", previous, subject=user)
    db.session.flush()
    return member


def remove_member(actor: User, group: Group, username: str, reason: str | None = None) -> None:
    """Remove a member (undo: restore_member); their annotations stay."""
    _require_manager(actor, group)
    user = _find_user(username)
    member = _active_member(group, user)
    if member.is_instructor:
        raise Conflict("Make the instructor a member first, then remove them.")
    _log(actor, group, "remove_member", {"status": member.status}, subject=user, reason=reason)
    member.status = MembershipStatus.REMOVED
    db.session.flush()


def restore_member(actor: User, group: Group, username: str) -> None:
    _require_manager(actor, group)
    user = _find_user(username)
    member = db.session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == user.id)
    )
    if member is None or member.status != MembershipStatus.REMOVED:
        raise Conflict(f"{user.username} was not removed from this group.")
    _log(actor, group, "restore_member", {"status": member.status}, subject=user)
    member.status = MembershipStatus.ACTIVE
    db.session.flush()


def rename_group(actor: User, group: Group, name: str) -> Group:
    """Give the group a new name; its slug (and so its links) stays."""
    _require_manager(actor, group)
    clean = _clean_name(name, group.id)
    if clean != group.name:
        _log(actor, group, "rename", {"name": group.name})
        group.name = clean
        db.session.flush()
    return group


def update_group(
    actor: User,
    group: Group,
    name: str | None = None,
    archived: bool | None = None,
    premoderation: str | None = None,
    posts: int | None = None,
) -> Group:
    """Change several settings at once; each real change is logged, a same-value one is not."""
    _require_manager(actor, group)
    if name is None and archived is None and premoderation is None:
        raise ValidationFailed(
            "Nothing to change.", {"request": "Send name, archived and/or premoderation."}
        )
    if name is not None:
        rename_group(actor, group, name)
    if premoderation is not None:
        wanted = (premoderation, group.premoderation_posts if posts is None else posts)
        if wanted != (group.premoderation, group.premoderation_posts):
            set_premoderation(actor, group, premoderation, posts)
    if archived is not None and archived != group.is_archived:
        set_archived(actor, group, archived)
    return group


def regenerate_join_code(actor: User, group: Group) -> str:
    """A fresh code; the old one stops working at once."""
    _require_manager(actor, group)
    _log(actor, group, "regenerate_code", {"join_code": group.join_code})
    group.join_code = new_join_code()
    group.join_code_expires_at = utcnow() + JOIN_CODE_LIFETIME
    db.session.flush()
    return group.join_code


def set_archived(actor: User, group: Group, archived: bool) -> Group:
    """Archive (read-only, no joins) or reopen a group."""
    _require_manager(actor, group)
    if group.is_archived == archived:
        raise Conflict("The group is already " + ("archived." if archived else "open."))
    _log(actor, group, "archive" if archived else "unarchive", {"archived": group.is_archived})
    group.archived_at = utcnow() if archived else None
    db.session.flush()
    return group


def set_premoderation(actor: User, group: Group, mode: str, posts: int | None = None) -> Group:
    """Hold all posts, a new member's first N posts, or none, for approval."""
    _require_manager(actor, group)
    if mode not in set(Premoderation):
        raise ValidationFailed("Unknown mode.", {"mode": "Use off, new_members or all."})
    if posts is not None and not 1 <= posts <= MAX_HELD_POSTS:
        held = f"Hold between 1 and {MAX_HELD_POSTS} posts."
        raise ValidationFailed("Out of range.", {"posts": held})
    previous = {"premoderation": group.premoderation, "posts": group.premoderation_posts}
    group.premoderation = mode
    if posts is not None:
        group.premoderation_posts = posts
    _log(actor, group, "premoderation", previous)
    db.session.flush()
    return group


def assign_reading(
    actor: User, group: Group, article: Article, due_on: date | None = None
) -> Reading:
    _require_manager(actor, group)
    existing = db.session.scalar(
        select(Reading).where(Reading.group_id == group.id, Reading.article_id == article.id)
    )
    if existing is not None:
        existing.due_on = due_on  # assigning again updates the due date
        existing.article = article
        db.session.flush()
        return existing
    reading = Reading(
        group_id=group.id, article_id=article.id, due_on=due_on, assigned_by_id=actor.id
    )
    reading.article = article
    db.session.add(reading)
    db.session.flush()
    notify_reading_assigned(actor, group, article)
    return reading


def unassign_reading(actor: User, group: Group, article: Article) -> None:
    """Take a reading off the list; its annotations stay, and assigning again shows them."""
    _require_manager(actor, group)
    reading = db.session.scalar(
        select(Reading).where(Reading.group_id == group.id, Reading.article_id == article.id)
    )
    if reading is None:
        raise NotFound("That article is not one of the group's readings.")
    _log(actor, group, "unassign_reading", {"article": article.slug, "due_on": str(reading.due_on)})
    db.session.delete(reading)
    db.session.flush()


@dataclass(frozen=True)
class MemberRow:
    user: User
    membership: Membership


def list_members(group: Group) -> list[MemberRow]:
    rows = db.session.scalars(
        select(Membership)
        .options(joinedload(Membership.user))
        .where(Membership.group_id == group.id, Membership.status == MembershipStatus.ACTIVE)
        # Instructors first (by name 'member' would sort before 'instructor'), then by joining.
        .order_by(
            case((Membership.role == GroupRole.INSTRUCTOR, 0), else_=1),
            Membership.joined_at,
            Membership.id,
        )
    )
    return [MemberRow(m.user, m) for m in rows]


def list_removed_members(group: Group) -> list[MemberRow]:
    """The members an instructor removed (restore_member re-admits them), by username."""
    rows = db.session.scalars(
        select(Membership)
        .join(Membership.user)
        .options(contains_eager(Membership.user))
        .where(Membership.group_id == group.id, Membership.status == MembershipStatus.REMOVED)
        .order_by(User.username)
    )
    return [MemberRow(m.user, m) for m in rows]


def list_readings(group: Group) -> list[Reading]:
    return list(
        db.session.scalars(
            select(Reading)
            .options(joinedload(Reading.article))
            .where(Reading.group_id == group.id)
            .order_by(Reading.due_on.is_(None), Reading.due_on, Reading.assigned_at)
        )
    )


def list_my_groups(actor: User) -> list[tuple[Group, Membership]]:
    rows = db.session.execute(
        select(Group, Membership)
        .join(Membership, Membership.group_id == Group.id)
        .where(Membership.user_id == actor.id, Membership.status == MembershipStatus.ACTIVE)
        .order_by(Group.archived_at.is_not(None), Group.name)
    )
    return [(g, m) for g, m in rows]


def list_my_groups_page(
    actor: User, after_id: int | None = None, limit: int | None = None
) -> list[tuple[Group, Membership]]:
    """The actor's groups in the order they were created: one keyset page by group id."""
    stmt = (
        select(Group, Membership)
        .join(Membership, Membership.group_id == Group.id)
        .where(Membership.user_id == actor.id, Membership.status == MembershipStatus.ACTIVE)
        .order_by(Group.id)
    )
    if after_id is not None:
        stmt = stmt.where(Group.id > after_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [(g, m) for g, m in db.session.execute(stmt)]


def groups_reading(actor: object, article: Article) -> list[Group]:
    """The caller's groups that have `article` among their readings (for the group switcher)."""
    return list(
        db.session.scalars(
            select(Group)
            .join(Reading, Reading.group_id == Group.id)
            .where(Reading.article_id == article.id, permissions.visible_groups(actor))
            .order_by(Group.name)
        )
    )
