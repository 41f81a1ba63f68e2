"""Signed-in sessions, one per device: started at sign-in, ended by idling, by their owner one
by one from the account page, or all at once (sign-out, password change)."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import DateTime, Integer, String, and_, bindparam, delete, or_, select, update
from sqlalchemy.sql import ColumnElement, Select

from app import shapes
from app.extensions import db
from app.models import User, UserSession
from app.models.base import utcnow
from app.services.errors import NotFound

# last_seen_at is written at most this often: an idle timeout of hours needs no finer clock,
# and a signed-in page view stays free of writes.
TOUCH_EVERY = timedelta(minutes=5)
# Longer than any idle timeout the settings allow (30 days).
DEAD_AFTER = timedelta(days=31)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(
    user: User, remember: bool, lifetime: timedelta, user_agent: str = "", address: str = ""
) -> tuple[str, UserSession]:
    """A new session for `user`: the secret for the cookie (shown once) and its row.

    `lifetime` is how long a remembered session lasts; the others end when idle.
    """
    secret = secrets.token_urlsafe(24)
    now = utcnow()
    _forget_dead_sessions(user, now)
    row = UserSession(
        user_id=user.id,
        secret_hash=digest(secret),
        remember=remember,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime if remember else None,
        user_agent=summarise_agent(user_agent),
        address=address[:64],
    )
    db.session.add(row)
    db.session.flush()
    return secret, row


def _forget_dead_sessions(user: User, now: datetime) -> None:
    """Rows of sessions that can never sign anyone in again are of no use: drop them."""
    db.session.execute(
        delete(UserSession)
        .where(
            UserSession.user_id == user.id,
            or_(
                UserSession.ended_at.is_not(None),
                UserSession.expires_at < now,
                and_(UserSession.remember.is_(False), UserSession.last_seen_at < now - DEAD_AFTER),
            ),
        )
        .execution_options(synchronize_session=False)
    )


def _alive(now: datetime | ColumnElement, idle_since: datetime | ColumnElement) -> ColumnElement:
    """A session that has not ended: remembered and not expired, or used since `idle_since`."""
    return and_(
        UserSession.ended_at.is_(None),
        or_(
            and_(UserSession.remember.is_(True), UserSession.expires_at > now),
            and_(UserSession.remember.is_(False), UserSession.last_seen_at > idle_since),
        ),
    )


@shapes.once_per_shape
def _session_lookup() -> Select:
    """Built once (app/shapes.py): every signed-in request runs it, and building it cost as
    much as running it (0.4 ms)."""
    when = DateTime(timezone=True)
    return (
        select(User, UserSession)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            User.id == bindparam("user_id", type_=Integer),
            UserSession.secret_hash == bindparam("secret_hash", type_=String),
            _alive(bindparam("now", type_=when), bindparam("idle_since", type_=when)),
        )
    )


def find_session(
    user_id: int, secret: str, idle: timedelta, now: datetime | None = None
) -> tuple[User, UserSession] | None:
    """The user and their live session with this secret, in one query; None once it ended."""
    now = now or utcnow()
    found = db.session.execute(
        _session_lookup(),
        {"user_id": user_id, "secret_hash": digest(secret), "now": now, "idle_since": now - idle},
    ).first()
    return None if found is None else (found[0], found[1])


def touch(row: UserSession, now: datetime | None = None) -> None:
    """Note that the session was used, on its own connection (most requests commit nothing)."""
    now = now or utcnow()
    if now - row.last_seen_at < TOUCH_EVERY:
        return
    with db.engine.begin() as conn:
        conn.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
    row.last_seen_at = now  # not flushed: the row above is already written


def active_sessions(user: User, idle: timedelta, now: datetime | None = None) -> list[UserSession]:
    """The user's live sessions, the most recently used first."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id, _alive(now, now - idle))
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )


def end_session(user: User, session_id: int) -> UserSession:
    """End one of the user's own sessions (NotFound for anyone else's or an ended one)."""
    row = db.session.scalar(
        select(UserSession).where(
            UserSession.id == session_id,
            UserSession.user_id == user.id,
            UserSession.ended_at.is_(None),
        )
    )
    if row is None:
        raise NotFound("No such session.")
    row.ended_at = utcnow()
    db.session.flush()
    return row


def end_all_sessions(user: User) -> None:
    """Mark every session of the user ended (the rotated session token already refuses them)."""
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
        .execution_options(synchronize_session=False)
    )


_BROWSERS = [
    ("Edge", re.compile(r"\bEdg(?:e|A|iOS)?/")),
    ("Opera", re.compile(r"\bOPR/")),
    ("Firefox", re.compile(r"\b(?:Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(?:Chrome|CriOS|HeadlessChrome|Chromium)/")),
    ("Safari", re.compile(r"\bSafari/")),
    ("curl", re.compile(r"^curl/")),
]
_SYSTEMS = [
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux|X11")),
]


def summarise_agent(agent: str) -> str:
    """'Firefox on Linux' from a User-Agent header: enough to recognise one's own devices."""
    browser = next((name for name, rx in _BROWSERS if rx.search(agent)), None)
    system = next((name for name, rx in _SYSTEMS if rx.search(agent)), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or (agent[:60].strip() or "Unknown browser")
