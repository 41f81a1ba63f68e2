"""Who is asking: session cookies (Flask-Login) and Bearer API tokens."""

from __future__ import annotations

from flask import Flask, Request

from app.extensions import db, login_manager
from app.models import User
from app.services.tokens import find_token


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    # A session from before logout or a password change carries an old token: refused.
    if user is None or user.session_token != token or user.is_disabled:
        return None
    return user


@login_manager.request_loader
def load_user_from_token(request: Request) -> User | None:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    token = find_token(raw.strip())
    return token.user if token is not None else None


def init_app(app: Flask) -> None:
    login_manager.login_view = "web.login"
    login_manager.login_message = "Sign in to take part in the discussion."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
