"""Email on accounts: asking for an address, confirming it, and password reset by mailed link.

A reset link carries a fingerprint of the password it replaces, so it works once (the new
password changes the fingerprint) and dies with any other password change.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from email.errors import HeaderParseError
from email.headerregistry import Address
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.mail_compose import external_url, render
from app.models import OutboxMessage, User
from app.models.base import utcnow
from app.services import outbox, users
from app.services.errors import Conflict, Forbidden, ValidationFailed
from app.services.links import InvalidLink, Purpose, sign, unsign

RESET_MAX_AGE = timedelta(hours=1)
CONFIRM_MAX_AGE = timedelta(days=3)
# One reset mail per account per this long, however often the form is sent: the form itself
# is rate-limited per address too, but this keeps a mailbox from being flooded from many.
RESET_MAIL_GAP = timedelta(minutes=5)
MAX_EMAIL = 254
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def normalise_email(raw: str) -> str:
    """A plausible single address, lower-cased; ValidationFailed otherwise (CR/LF included)."""
    address = (raw or "").strip().lower()
    problem = None
    if not address:
        problem = "Enter an email address."
    elif len(address) > MAX_EMAIL or not _EMAIL.match(address):
        problem = "Enter one email address, like name@example.edu."
    else:
        try:
            Address(addr_spec=address)
        except (ValueError, IndexError, HeaderParseError):
            problem = "Enter one email address, like name@example.edu."
    if problem:
        raise ValidationFailed("The email address is not valid.", {"email": problem})
    return address


def register(
    username: str, password: str, display_name: str | None, raw_email: str
) -> tuple[User, str]:
    """A new account and the address it asked for, to which a mail is queued (request_email).

    The address is checked with the other details, so a refused one stores no account either
    and the form shows every problem at once.
    """
    fields: dict[str, str] = {}
    try:
        normalise_email(raw_email)
    except ValidationFailed as exc:
        fields.update(exc.fields)
    try:
        user = users.create_user(username, password, display_name)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, {**exc.fields, **fields}) from exc
    if fields:
        raise ValidationFailed("The email address is not valid.", fields)
    return user, request_email(user, raw_email)


def _owner_of(address: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == address))


def request_email(user: User, raw: str) -> str:
    """Ask to use an address: a confirmation link goes to it, and nothing changes until then.

    When another account already has the address, that mailbox is told instead; what the
    caller sees is the same, so the form does not reveal whose address it is.
    """
    address = normalise_email(raw)
    if address == user.email:
        raise ValidationFailed("Nothing to change.", {"email": "This is already your address."})
    owner = _owner_of(address)
    now = utcnow()
    if owner is not None:
        draft = render("address_taken", "Someone tried to use your address on Counterpoint",
                       user=owner, login_url=external_url("web.login"),
                       forgot_url=external_url("web.forgot_password"))  # fmt: skip
        outbox.queue_mail(owner, address, draft, f"taken:{owner.id}:{user.id}:{now.timestamp()}")
        return address
    user.pending_email = address
    link = external_url(
        "web.confirm_email",
        token=sign(Purpose.CONFIRM, {"u": user.id, "e": address_digest(address)}),
    )
    draft = render("confirm", "Confirm your email address for Counterpoint", user=user, link=link)
    outbox.queue_mail(user, address, draft, f"confirm:{user.id}:{now.timestamp()}")
    db.session.flush()
    return address


def address_digest(address: str) -> str:
    """What a confirmation link says of its address: a digest, so URLs (and the logs that keep
    them) never hold the address itself."""
    return hashlib.sha256(address.encode()).hexdigest()[:20]


def confirm_email(viewer: Any, token: str) -> User:
    """Make the address the link was sent to the account's own."""
    payload = unsign(Purpose.CONFIRM, token, CONFIRM_MAX_AGE)
    user = db.session.get(User, payload["u"])
    if user is None or user.is_disabled:
        raise InvalidLink("This link is not valid. Copy the whole link from the mail.")
    _check_same_account(viewer, user)
    digest = payload.get("e")
    if user.email and address_digest(user.email) == digest and user.pending_email is None:
        raise InvalidLink("This address is already confirmed.")
    if user.pending_email is None or address_digest(user.pending_email) != digest:
        raise InvalidLink("This link has been replaced by a newer one. Use the latest mail.")
    address = user.pending_email
    owner = _owner_of(address)
    if owner is not None and owner.id != user.id:
        raise Conflict("That address now belongs to another account.", {"email": "Taken."})
    user.email, user.pending_email = address, None
    db.session.flush()
    return user


def _check_same_account(viewer: Any, user: User) -> None:
    viewer_id = getattr(viewer, "id", None)
    if getattr(viewer, "is_authenticated", False) and viewer_id != user.id:
        raise Forbidden("This link is for another account. Sign out first to use it.")


def _fingerprint(user: User) -> str:
    return hashlib.sha256(f"{user.id}:{user.password_hash}".encode()).hexdigest()[:20]


def reset_link(user: User) -> str:
    """A link that sets a new password for `user`: for one use, within RESET_MAX_AGE."""
    token = sign(Purpose.RESET, {"u": user.id, "p": _fingerprint(user)})
    return external_url("web.reset_password", token=token)


def mail_reset_link(user: User) -> bool:
    """Queue a reset mail to the account's confirmed address; False when it has none."""
    if user.email is None or user.is_disabled:
        return False
    now = utcnow()
    recent = db.session.scalar(
        select(func.count()).where(
            OutboxMessage.user_id == user.id,
            OutboxMessage.key.like(f"reset:{user.id}:%"),
            OutboxMessage.created_at > now - RESET_MAIL_GAP,
        )
    )
    if recent:
        return True  # one is on its way already
    minutes = int(RESET_MAX_AGE.total_seconds() // 60)
    draft = render(
        "reset",
        "Reset your Counterpoint password",
        user=user,
        link=reset_link(user),
        minutes=minutes,
    )
    outbox.queue_mail(user, user.email, draft, f"reset:{user.id}:{now.timestamp()}")
    return True


def request_password_reset(raw: str) -> None:
    """Mail a reset link to the account with this confirmed address, if there is one.

    The caller answers the same whatever happens here: the form must not tell a stranger
    which addresses have accounts. A malformed address is the one thing said out loud.
    """
    address = normalise_email(raw)
    user = _owner_of(address)
    if user is not None:
        mail_reset_link(user)


def check_reset_link(viewer: Any, token: str) -> User:
    """The account a reset link is for, if the link still works; InvalidLink otherwise."""
    payload = unsign(Purpose.RESET, token, RESET_MAX_AGE)
    user = db.session.get(User, payload["u"])
    if user is None or user.is_disabled:
        raise InvalidLink("This link is not valid. Copy the whole link from the mail.")
    if payload.get("p") != _fingerprint(user):
        raise InvalidLink("This link has been used already. Ask for a new one if you need it.")
    _check_same_account(viewer, user)
    return user


def reset_password(viewer: Any, token: str, new_password: str) -> User:
    """Set the password a reset link allows; every session and API token of the account ends."""
    user = check_reset_link(viewer, token)
    users.set_password(user, new_password)
    return user
