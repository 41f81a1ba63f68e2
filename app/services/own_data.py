"""A member's own data: changing their name, taking everything they wrote, deleting the account.

Deleting keeps the discussion others built readable: a note someone else replied to (at any
depth) stays as a "deleted" placeholder by "a former member"; every other note is removed.
The account row itself stays as that former member (it is what the placeholders point to),
emptied of everything personal: name, address, password, sessions, tokens, groups, mail.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import (
    Annotation,
    AnnotationStatus,
    ApiToken,
    Feedback,
    Flag,
    MailSettings,
    Membership,
    ModerationAction,
    Notification,
    OutboxMessage,
    RequestKey,
    Role,
    User,
    UserSession,
)
from app.models.base import utcnow
from app.models.user import new_session_token
from app.services import people, signin_backoff
from app.services.errors import Conflict, ValidationFailed
from app.services.exports import iso
from app.services.names import check_display_name
from app.services.passwords import verify_password
from app.services.threads import set_status
from app.services.versions import bump_discussion

FORMER_MEMBER = "a former member"
FORMER_MEMBER_CAP = "A former member"  # at the start of a notification's sentence
# Not a Werkzeug hash, so no password ever matches it.
UNUSABLE_PASSWORD = "!deleted"  # noqa: S105  # nosec B105
NOT_YOURS = "This is not your password."


def change_display_name(user: User, display_name: str) -> User:
    # The rules registration applies (services/names.py): white space tidied, NFKC, no
    # invisible or direction characters, no look-alike of someone else's name.
    name = check_display_name(display_name or "", user.id)
    if not name or len(name) > 80:
        raise ValidationFailed(
            "The display name is not valid.", {"display_name": "Use 1–80 characters."}
        )
    user.display_name = name
    db.session.flush()
    return user


def export_user_data(user: User) -> dict[str, Any]:
    """Everything the member wrote and what the site keeps about them, as plain JSON data."""
    notes = db.session.scalars(
        select(Annotation)
        .options(
            joinedload(Annotation.article),
            joinedload(Annotation.block),
            joinedload(Annotation.group),
        )
        .where(Annotation.author_id == user.id)
        .order_by(Annotation.id)
    )
    feedback = db.session.scalars(
        select(Feedback).where(Feedback.author_id == user.id).order_by(Feedback.id)
    )
    flags = db.session.scalars(select(Flag).where(Flag.user_id == user.id).order_by(Flag.id))
    groups = db.session.execute(
        select(Membership)
        .options(joinedload(Membership.group))
        .where(Membership.user_id == user.id)
    ).scalars()
    return {
        "account": {
            "username": user.username,
            "display_name": user.display_name,
            "email": user.email,
            "role": user.role,
            "created": iso(user.created_at),
        },
        "annotations": [_note(n) for n in notes],
        "feedback": [
            {"annotation": f.annotation_id, "body": f.body, "created": iso(f.created_at)}
            for f in feedback
        ],
        "flags": [
            {
                "annotation": f.annotation_id,
                "reason": f.reason,
                "details": f.details,
                "created": iso(f.created_at),
            }
            for f in flags
        ],
        "groups": [
            {"slug": m.group.slug, "name": m.group.name, "role": m.role, "status": m.status}
            for m in groups
        ],
        "exported": iso(utcnow()),
    }


def _note(note: Annotation) -> dict[str, Any]:
    return {
        "id": note.id,
        "article": note.article.slug,
        "anchor": note.block.anchor,
        "kind": note.kind,
        "body": note.body,
        "parent": note.parent_id,
        "quote": note.quote,
        "visibility": note.visibility,
        "group": note.group.slug if note.group else None,
        "status": note.status,
        "created": iso(note.created_at),
        "updated": iso(note.updated_at),
    }


def _notes_to_keep(user: User) -> tuple[list[Annotation], list[Annotation]]:
    """The member's notes split into (kept as placeholders, removed)."""
    mine = list(db.session.scalars(select(Annotation).where(Annotation.author_id == user.id)))
    roots = {n.root_id for n in mine}
    threads = db.session.execute(
        select(Annotation.id, Annotation.parent_id, Annotation.author_id).where(
            Annotation.root_id.in_(roots)
        )
    ).all()
    parent_of = {row.id: row.parent_id for row in threads}
    keep: set[int] = set()
    for row in threads:
        if row.author_id == user.id:
            continue
        # Someone else wrote this: every one of its ancestors must stay for it to make sense.
        ancestor = parent_of.get(row.id)
        while ancestor is not None and ancestor not in keep:
            keep.add(ancestor)
            ancestor = parent_of.get(ancestor)
    kept = [n for n in mine if n.id in keep]
    removed = sorted((n for n in mine if n.id not in keep), key=lambda n: -n.depth)
    return kept, removed


def delete_account(user: User, password: str) -> None:
    """Erase the account as the page explains; the password is asked again to be sure."""
    # Whichever method made the hash (Argon2id now, older Werkzeug hashes): services/passwords.
    if not verify_password(user.password_hash, password or ""):
        raise ValidationFailed("The password is wrong.", {"password": NOT_YOURS})
    if user.role == Role.ADMIN and people.count_other_admins(user) == 0:
        raise Conflict("You are the last administrator: make someone else one first.")
    kept, removed = _notes_to_keep(user)
    articles = {n.article_id for n in kept + removed}
    for note in kept:
        set_status(note, AnnotationStatus.DELETED)
        note.body, note.body_html, note.updated_at = "", "", utcnow()
    for note in removed:
        set_status(note, AnnotationStatus.DELETED)  # the parent's reply count drops
    if removed:
        ids = [n.id for n in removed]
        db.session.execute(
            update(ModerationAction).where(ModerationAction.annotation_id.in_(ids))
            .values(annotation_id=None).execution_options(synchronize_session=False)
        )  # fmt: skip
        for note in removed:  # deepest first: a reply goes before its parent
            db.session.delete(note)
            db.session.flush()
    _erase_personal_data(user)
    bump_discussion(db.session, articles)
    db.session.flush()


def _erase_personal_data(user: User) -> None:
    for model, column in (
        (Membership, Membership.user_id),
        (Notification, Notification.user_id),
        (MailSettings, MailSettings.user_id),
        (OutboxMessage, OutboxMessage.user_id),
        (ApiToken, ApiToken.user_id),
        (UserSession, UserSession.user_id),  # with the browsers and addresses they name
    ):
        db.session.execute(
            delete(model).where(column == user.id).execution_options(synchronize_session=False)
        )
    # Answers kept for repeated requests (24 h) hold what the member wrote.
    db.session.execute(
        delete(RequestKey).where(RequestKey.scope == RequestKey.user_scope(user.id))
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    # The username is free again after this: its failed sign-ins must not greet a newcomer.
    signin_backoff.forget_account(
        signin_backoff.account_key(user.username, current_app.config["SECRET_KEY"])
    )
    # Others' notifications about what the member did keep no trace of their name.
    db.session.execute(
        update(Notification).where(Notification.actor_id == user.id)
        .values(actor_id=None,
                message=func.replace(Notification.message, user.display_name, FORMER_MEMBER_CAP))
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    now = utcnow()
    user.username = f"former-member-{user.id}"
    user.display_name = FORMER_MEMBER
    user.email = user.pending_email = None
    user.password_hash = UNUSABLE_PASSWORD
    user.role = Role.MEMBER
    user.session_token = new_session_token()
    user.deleted_at = user.disabled_at = now
