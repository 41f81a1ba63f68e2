"""Who is asking: session cookies (Flask-Login, one server-side session row per device) and
Bearer API tokens.

A login session id is `<user id>:<session token>:<device session secret>`. The session token
belongs to the user (rotating it ends every session at once: sign-out, a password change);
the secret names one row of user_sessions, which ends by idling, by its expiry (remembered
sessions), or when its owner signs it out from the account page.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Request, current_app, request, session
from flask_login import login_user

from app.extensions import login_manager
from app.models import User
from app.services import user_sessions
from app.services.tokens import find_token

SESSION_KEY = "_cp_session_id"  # the row id of the current device session, for the account page


def idle_timeout() -> timedelta:
    return current_app.config["SESSION_IDLE_TIMEOUT"]


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, token, secret = [*session_id.split(":"), "", ""][:3]
    if not user_id.isdigit() or not secret:
        return None  # ids from before per-device sessions carry no secret: signed out
    found = user_sessions.find_session(int(user_id), secret, idle_timeout())
    if found is None:
        return None
    user, row = found
    # A session from before logout or a password change carries an old token: refused.
    if user.session_token != token or user.is_disabled:
        return None
    user_sessions.touch(row)
    if session.get(SESSION_KEY) != row.id:  # restored from a remember-me cookie
        session[SESSION_KEY] = row.id
    return user


@login_manager.request_loader
def load_user_from_token(request: Request) -> User | None:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    token = find_token(raw.strip())
    return token.user if token is not None else None


def sign_in(user: User, remember: bool) -> None:
    """Start a new session for `user` on this device (the caller commits).

    The Flask session is cleared first, so nothing planted in it before carries over.
    """
    session.clear()
    secret, row = user_sessions.start_session(
        user,
        remember,
        current_app.config["REMEMBER_COOKIE_DURATION"],
        request.headers.get("User-Agent", ""),
        request.remote_addr or "",
    )
    login_user(user, remember=remember)
    # Flask-Login keeps (and writes into the remember-me cookie) the id it was given.
    session["_user_id"] = f"{user.get_id()}:{secret}"
    session[SESSION_KEY] = row.id


def current_session_id() -> int | None:
    """The id of this device's session row, if signed in by cookie."""
    value = session.get(SESSION_KEY)
    return value if isinstance(value, int) else None


def init_app(app: Flask) -> None:
    login_manager.login_view = "web.login"
    login_manager.login_message = "Sign in to take part in the discussion."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
