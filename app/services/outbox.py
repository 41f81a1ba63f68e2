"""The mail outbox: queuing messages, turning notifications into mail, and sending what is due.

Mail never leaves inside a request. Requests (and the collectors below) add rows; `flask mail
send` claims one row at a time, commits the claim, sends, and commits "sent". A sender killed
between the SMTP server's "250 OK" and that commit leaves the row "sending"; it is sent again
once its lease ends — the one message in flight is the only one that can arrive twice.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import insert, or_, select
from sqlalchemy.orm import selectinload

from app import permissions
from app.extensions import db
from app.mail_compose import Draft, external_url, one_line, render
from app.mailer import PermanentFailure, TemporaryFailure, Transport, build_message
from app.models import (
    MAIL_KINDS,
    Annotation,
    MailChoice,
    MailSettings,
    Notification,
    OutboxMessage,
    OutboxStatus,
    User,
)
from app.models.base import utcnow
from app.services.errors import ValidationFailed
from app.services.links import InvalidLink, Purpose, sign, unsign

MAX_ATTEMPTS = 12  # with the back-off below, about two days of retrying
LEASE = timedelta(minutes=10)  # a claim older than this belongs to a sender that died
DIGEST_EVERY = timedelta(hours=23)  # a daily cron drifts by minutes; 24 h would skip days


def queue_mail(user: User | None, to_addr: str, draft: Draft, key: str) -> OutboxMessage | None:
    """Add a message to the outbox, unless one with the same key is there already."""
    if _queued_keys([key]):
        return None
    row = OutboxMessage(**_outbox_values(user, to_addr, draft, key))
    db.session.add(row)
    db.session.flush()
    return row


# Whom to, at which address, what, and its key (what it is about, once).
Mail = tuple[User | None, str, Draft, str]
CHUNK = 500  # keys per look-up: well inside every database's limit on bound parameters


def _queue_many(mails: Sequence[Mail]) -> int:
    """queue_mail for a run's many messages, in one look for their keys and one INSERT
    (per CHUNK) instead of two statements each; returns how many were queued."""
    taken = _queued_keys([key for *_, key in mails])
    values = []
    for user, to_addr, draft, key in mails:
        if key[:120] not in taken:
            taken.add(key[:120])
            values.append(_outbox_values(user, to_addr, draft, key))
    if values:
        db.session.execute(insert(OutboxMessage), values)
    return len(values)


def _queued_keys(keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    stored = [key[:120] for key in keys]
    for start in range(0, len(stored), CHUNK):
        chunk = stored[start : start + CHUNK]
        found.update(
            db.session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(chunk)))
        )
    return found


def _outbox_values(user: User | None, to_addr: str, draft: Draft, key: str) -> dict[str, Any]:
    domain = (current_app.config.get("MAIL_FROM") or "@localhost").rsplit("@", 1)[-1].strip("> ")
    return {
        "user_id": user.id if user else None,
        "key": key[:120],
        "to_addr": to_addr,
        "subject": one_line(draft.subject),
        "text_body": draft.text,
        "html_body": draft.html,
        "unsubscribe_url": draft.unsubscribe_url,
        # Fixed when queued: a message sent twice after a crash carries the same id, so mail
        # clients that de-duplicate by Message-ID show it once.
        "message_id": f"<{secrets.token_hex(12)}@{domain}>",
        "status": OutboxStatus.QUEUED,
        "attempts": 0,
        "next_attempt_at": utcnow(),
    }


def settings_for(user: User, store: bool = False) -> MailSettings:
    """The member's mail choices: their row, or the defaults (added to the session if `store`)."""
    found = db.session.get(MailSettings, user.id)
    if found is None:
        found = MailSettings(user_id=user.id, choices={})
        if store:
            db.session.add(found)
    return found


def set_choices(user: User, choices: dict[str, str]) -> MailSettings:
    """Store the member's choice per kind; unknown kinds and choices are refused."""
    errors = {
        kind: f"Choose one of {', '.join(MailChoice)}."
        for kind, choice in choices.items()
        if kind not in MAIL_KINDS or choice not in set(MailChoice)
    }
    if errors:
        raise ValidationFailed("Those mail choices are not valid.", errors)
    settings = settings_for(user, store=True)
    settings.choices = {**(settings.choices or {}), **choices}
    db.session.flush()
    return settings


DIGEST = "digest"  # an unsubscribe link's kind for the digest as a whole


def unsubscribe_url(user: User, kind: str) -> str:
    """The one-click link in a mail's List-Unsubscribe: stops that kind of mail (or the digest)."""
    token = sign(Purpose.UNSUBSCRIBE, {"u": user.id, "k": kind})
    return external_url("web.unsubscribe", token=token)


def read_unsubscribe(token: str) -> tuple[User, list[str]]:
    """The member an unsubscribe link is for, and the kinds of mail it would stop."""
    payload = unsign(Purpose.UNSUBSCRIBE, token)
    user = db.session.get(User, payload["u"])
    kind = payload.get("k")
    if user is None or user.deleted_at is not None or (kind not in MAIL_KINDS and kind != DIGEST):
        raise InvalidLink("This link is not valid. Copy the whole link from the mail.")
    if kind != DIGEST:
        return user, [kind]
    prefs = settings_for(user)
    return user, [k for k in MAIL_KINDS if prefs.choice(k) == MailChoice.DIGEST]


def unsubscribe(user: User, kinds: list[str]) -> None:
    set_choices(user, dict.fromkeys(kinds, MailChoice.NEVER.value))


# --- from notifications to mail -------------------------------------------------------------


def _pending_notifications() -> list[tuple[Notification, User]]:
    """The notifications not mailed yet, with their readers and the annotations they are
    about (one more query per 500 of them, selectinload's batch, not one each)."""
    rows = db.session.execute(
        select(Notification, User)
        .join(User, User.id == Notification.user_id)
        .where(Notification.mailed_at.is_(None))
        .options(selectinload(Notification.annotation))
        .order_by(Notification.id)
    )
    return [(note, user) for note, user in rows]


def _visible_annotation(user: User, note: Notification) -> Annotation | bool | None:
    """What the mail may show of the notification's annotation, judged now, not when it was
    made: False when the reader may no longer know it exists (no mail at all), None when
    there is nothing to show (no annotation, or one hidden since: the mail has no body)."""
    if note.annotation_id is None:
        return None
    annotation = note.annotation
    # A copy of group text follows the copies' rule (a reader who left the group is told
    # nothing more of it, their own notes included), as the notifications page does.
    if annotation is None or not permissions.can_read_copy(user, annotation):
        return False
    return annotation if permissions.can_see_body(user, annotation) else None


def collect_notifications() -> int:
    """Queue a mail for each new notification its reader wants at once; returns how many.

    Those for the digest wait for `queue_digests`; the rest (no confirmed address, disabled,
    "never", or about a note the reader may no longer see) are marked done without mail.
    """
    now = utcnow()
    settings: dict[int, MailSettings] = {}
    mails: list[Mail] = []
    for note, user in _pending_notifications():
        if user.id not in settings:
            settings[user.id] = settings_for(user)
        prefs = settings[user.id]
        choice = prefs.choice(note.kind)
        if user.email is None or user.is_disabled or choice == MailChoice.NEVER:
            note.mailed_at = now
            continue
        if choice == MailChoice.DIGEST:
            continue
        annotation = _visible_annotation(user, note)
        if annotation is not False:
            draft = _notification_draft(user, note, annotation or None)
            mails.append((user, user.email, draft, f"notification:{note.id}"))
        note.mailed_at = now
    queued = _queue_many(mails)
    db.session.flush()
    return queued


def _notification_draft(user: User, note: Notification, annotation: Annotation | None) -> Draft:
    return render(
        "notification",
        note.message,
        unsubscribe_url=unsubscribe_url(user, note.kind),
        user=user,
        note=note,
        annotation=annotation,
        link=external_url("web.open_notification", notification_id=note.id),
        settings_url=external_url("web.mail_settings"),
        kind_label=MAIL_KINDS.get(note.kind, ("", None))[0],
    )


def queue_digests(now: datetime | None = None) -> int:
    """Queue one digest per member whose digest is due and has something in it."""
    now = now or utcnow()
    waiting: dict[int, list[Notification]] = defaultdict(list)
    people: dict[int, User] = {}
    settings: dict[int, MailSettings] = {}
    for note, user in _pending_notifications():
        if user.id not in settings:
            settings[user.id] = settings_for(user, store=True)
        prefs = settings[user.id]
        if prefs.choice(note.kind) == MailChoice.DIGEST and user.email and not user.is_disabled:
            waiting[user.id].append(note)
            people[user.id] = user
    mails: list[Mail] = []
    for user_id, notes in waiting.items():
        prefs = settings[user_id]
        if prefs.last_digest_at is not None and prefs.last_digest_at > now - DIGEST_EVERY:
            continue
        user = people[user_id]
        items = [(n, a) for n in notes if (a := _visible_annotation(user, n)) is not False]
        if items:
            key = f"digest:{user.id}:{now:%Y-%m-%dT%H:%M}"
            mails.append((user, user.email or "", _digest_draft(user, items), key))
        for n in notes:
            n.mailed_at = now
        prefs.last_digest_at = now
    queued = _queue_many(mails)
    db.session.flush()
    return queued


def _digest_draft(user: User, items: list[tuple[Notification, Annotation | bool | None]]) -> Draft:
    count = len(items)
    return render(
        "digest",
        f"Counterpoint: {count} new notification{'s' if count != 1 else ''}",
        unsubscribe_url=unsubscribe_url(user, DIGEST),
        user=user,
        items=[
            (n, a or None, external_url("web.open_notification", notification_id=n.id))
            for n, a in items
        ],
        settings_url=external_url("web.mail_settings"),
    )


# --- sending ----------------------------------------------------------------------------------


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 240))


def _claim(now: datetime, lease: timedelta) -> OutboxMessage | None:
    """Take the next due message and commit the claim before anything is sent."""
    stmt = (
        select(OutboxMessage)
        .where(
            or_(
                (OutboxMessage.status == OutboxStatus.QUEUED)
                & (OutboxMessage.next_attempt_at <= now),
                (OutboxMessage.status == OutboxStatus.SENDING)
                & (OutboxMessage.claimed_at <= now - lease),
            )
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
    )
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)  # two senders never take the same row
    row = db.session.scalar(stmt)
    if row is None:
        return None
    row.status, row.claimed_at, row.attempts = OutboxStatus.SENDING, now, row.attempts + 1
    db.session.commit()
    return row


def send_due(transport: Transport, limit: int = 500, lease: timedelta = LEASE) -> SendReport:
    """Send what is due through `transport`, committing after each message.

    The one service that commits: each message's fate must be on disk before the next is
    tried. A temporary failure puts the message back with a back-off and ends the run (the
    server is likely down for the rest too); a permanent refusal marks it failed.
    """
    report = SendReport()
    sender = current_app.config["MAIL_FROM"]
    with transport:
        for _ in range(limit):
            row = _claim(utcnow(), lease)
            if row is None:
                break
            try:
                transport.send(build_message(row, sender))
            except TemporaryFailure as exc:
                _defer(row, str(exc), report)
                break
            except (PermanentFailure, ValueError) as exc:
                # ValueError: the message cannot be built (a bad stored address); never sendable.
                row.status, row.last_error = OutboxStatus.FAILED, str(exc)[:2000]
                report.failed += 1
                report.errors.append(f"#{row.id} to {row.to_addr}: {exc}")
            else:
                row.status, row.sent_at, row.last_error = OutboxStatus.SENT, utcnow(), None
                report.sent += 1
            db.session.commit()
    return report


def _defer(row: OutboxMessage, error: str, report: SendReport) -> None:
    row.last_error = error[:2000]
    if row.attempts >= MAX_ATTEMPTS:
        row.status = OutboxStatus.FAILED
        report.failed += 1
    else:
        row.status, row.next_attempt_at = OutboxStatus.QUEUED, utcnow() + _backoff(row.attempts)
        report.deferred += 1
    report.errors.append(f"#{row.id} to {row.to_addr}: {error}")
    db.session.commit()
