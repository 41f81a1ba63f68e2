"""Site administration of accounts: finding people, roles, disabling, reset links; all audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from app import permissions
from app.extensions import db
from app.models import Annotation, AnnotationStatus, AuditAction, AuditEntry, Role, User
from app.models.base import utcnow
from app.services import accounts, users
from app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.services.tokens import revoke_all_tokens

PAGE = 50


def check_manager(actor: User) -> None:
    if not permissions.can_manage_people(actor):
        raise Forbidden("Only a site administrator may manage accounts.")


def get_person(username: str) -> User:
    """A member by username (deleted accounts are no one); NotFound otherwise."""
    user = users.get_user(username)
    if user is None or user.deleted_at is not None:
        raise NotFound("No such member.")
    return user


def recent_notes(viewer: Any, person: User, limit: int) -> list[Annotation]:
    """`person`'s latest visible notes that `viewer` may see, newest first."""
    return list(
        db.session.scalars(
            select(Annotation)
            .where(
                Annotation.author_id == person.id,
                Annotation.status == AnnotationStatus.VISIBLE,
                permissions.visible_annotations(viewer),
            )
            .order_by(Annotation.id.desc())
            .limit(limit)
        )
    )


def search_users(
    actor: User, query: str = "", limit: int = PAGE, after_id: int | None = None
) -> list[User]:
    """Accounts, oldest first; `query` matches username, display name or address (admins only)."""
    check_manager(actor)
    stmt = select(User).where(User.deleted_at.is_(None))
    needle = query.strip().lower()
    if needle:
        like = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                User.username.like(like, escape="\\"),
                func.lower(User.display_name).like(like, escape="\\"),
                User.email.like(like, escape="\\"),
            )
        )
    if after_id is not None:
        stmt = stmt.where(User.id > after_id)
    return list(db.session.scalars(stmt.order_by(User.id).limit(limit)))


def _audit(actor: User, subject: User, action: AuditAction, detail: str = "") -> AuditEntry:
    entry = AuditEntry(actor_id=actor.id, subject_id=subject.id, action=action, detail=detail)
    db.session.add(entry)
    return entry


def count_other_admins(subject: User) -> int:
    return int(
        db.session.scalar(
            select(func.count()).where(
                User.role == Role.ADMIN,
                User.id != subject.id,
                User.disabled_at.is_(None),
                User.deleted_at.is_(None),
            )
        )
        or 0
    )


def _keep_an_admin(subject: User) -> None:
    if subject.role == Role.ADMIN and not subject.is_disabled and count_other_admins(subject) == 0:
        raise Conflict("This is the last administrator: make someone else one first.")


def set_role(actor: User, subject: User, role: str) -> User:
    check_manager(actor)
    if role not in set(Role):
        raise ValidationFailed("Unknown role.", {"role": f"Choose one of {', '.join(Role)}."})
    if role == subject.role:
        return subject
    if role != Role.ADMIN:
        _keep_an_admin(subject)
    _audit(actor, subject, AuditAction.ROLE, f"{subject.role} → {role}")
    subject.role = role
    db.session.flush()
    return subject


def disable_account(actor: User, subject: User) -> User:
    """The account can no longer sign in, and its sessions and API tokens end at once."""
    check_manager(actor)
    if subject.disabled_at is not None:
        return subject
    _keep_an_admin(subject)
    subject.disabled_at = utcnow()
    users.end_sessions(subject)
    revoke_all_tokens(subject)
    _audit(actor, subject, AuditAction.DISABLE)
    db.session.flush()
    return subject


def enable_account(actor: User, subject: User) -> User:
    check_manager(actor)
    if subject.disabled_at is None:
        return subject
    subject.disabled_at = None
    _audit(actor, subject, AuditAction.ENABLE)
    db.session.flush()
    return subject


def send_reset_link(actor: User, subject: User) -> None:
    """Mail the account a reset link; refused when it has no confirmed address."""
    check_manager(actor)
    if subject.is_disabled:
        raise Conflict("A disabled account cannot reset its password; enable it first.")
    if not accounts.mail_reset_link(subject):
        raise Conflict("This account has no confirmed email address to send a link to.")
    _audit(actor, subject, AuditAction.RESET_LINK)
    db.session.flush()


def audit_log(actor: User, limit: int = PAGE, before_id: int | None = None) -> list[AuditEntry]:
    check_manager(actor)
    stmt = select(AuditEntry).options(joinedload(AuditEntry.actor), joinedload(AuditEntry.subject))
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    return list(db.session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit)))
