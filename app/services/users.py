"""Accounts: creating users, checking passwords, ending sessions."""

from __future__ import annotations

import re
from functools import lru_cache

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import Role, User
from app.models.user import new_session_token
from app.services.common_passwords import is_common
from app.services.errors import Conflict, ValidationFailed
from app.services.tokens import revoke_all_tokens

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,38}[a-z0-9]$")
MIN_PASSWORD = 8
MAX_PASSWORD = 200


def _hash(password: str) -> str:
    # Production keeps Werkzeug's default (scrypt); the test suite configures a cheap method.
    method = current_app.config.get("PASSWORD_HASH_METHOD") or "scrypt"
    return generate_password_hash(password, method=method)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked for unknown users, so a login takes as long whether or not the name exists."""
    return _hash("counterpoint-timing-equaliser")


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check_password_policy(password: str, username: str = "") -> str | None:
    """The reason `password` is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD:
        return f"Use at least {MIN_PASSWORD} characters."
    if len(password) > MAX_PASSWORD:
        return f"Use at most {MAX_PASSWORD} characters."
    if username and username.lower() in password.lower():
        return "The password must not contain the username."
    if is_common(password):
        return "That password is on a list of commonly used passwords; choose another."
    return None


def get_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == normalise_username(username)))


def create_user(
    username: str, password: str, display_name: str | None = None, role: str = Role.MEMBER
) -> User:
    """Create an account; raises ValidationFailed or Conflict, stores nothing on error."""
    name = normalise_username(username)
    errors: dict[str, str] = {}
    if not USERNAME_RE.match(name):
        errors["username"] = (
            "Use 3–40 letters, digits, dots, dashes or underscores, starting and ending "
            "with a letter or digit."
        )
    display = (display_name or "").strip() or name
    if len(display) > 80:
        errors["display_name"] = "Use at most 80 characters."
    if role not in set(Role):
        errors["role"] = f"Role must be one of {', '.join(Role)}."
    if (reason := check_password_policy(password, name)) is not None:
        errors["password"] = reason
    if errors:
        raise ValidationFailed("The account details are not valid.", errors)
    exists = db.session.scalar(select(func.count()).where(User.username == name))
    if exists:
        raise Conflict("That username is taken.", {"username": "That username is taken."})
    user = User(
        username=name,
        display_name=display,
        password_hash=_hash(password),
        role=role,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(username: str, password: str) -> User | None:
    """The user whose credentials these are, or None."""
    user = get_user(username)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return None if user.is_disabled else user


def end_sessions(user: User) -> None:
    """Invalidate every login session and remember-me cookie of `user`."""
    user.session_token = new_session_token()
    db.session.flush()


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password; every session, remember-me cookie and API token of the user ends."""
    if not check_password_hash(user.password_hash, current):
        message = "This is not your password."
        raise ValidationFailed("The current password is wrong.", {"current_password": message})
    if (reason := check_password_policy(new, user.username)) is not None:
        raise ValidationFailed("The new password is not acceptable.", {"new_password": reason})
    user.password_hash = _hash(new)
    end_sessions(user)
    revoke_all_tokens(user)


def set_password(user: User, new: str) -> None:
    """Set a new password without the old one (a reset link, an operator); sessions end too."""
    if (reason := check_password_policy(new, user.username)) is not None:
        raise ValidationFailed("The new password is not acceptable.", {"new_password": reason})
    user.password_hash = _hash(new)
    end_sessions(user)
    revoke_all_tokens(user)
