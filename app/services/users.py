"""Accounts: creating users, checking passwords, ending sessions."""

from __future__ import annotations

import re
from functools import lru_cache

from sqlalchemy import func, select

from app.extensions import db
from app.models import Role, User
from app.models.user import new_session_token
from app.services.common_passwords import is_common
from app.services.errors import Conflict, ValidationFailed
from app.services.names import check_display_name
from app.services.passwords import hash_password, needs_rehash, verify_password
from app.services.tokens import revoke_all_tokens
from app.services.user_sessions import end_all_sessions

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,38}[a-z0-9]$")
MIN_PASSWORD = 8
MAX_PASSWORD = 200


def _hash(password: str) -> str:
    # Argon2id in production (app/services/passwords.py); the test suite configures a cheap one.
    return hash_password(password)


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
    display = display_name or ""
    try:  # tidied, no invisible characters, no look-alike of another's (services/names.py)
        # A name left blank is the username, checked the same way.
        display = check_display_name(display_name or "") or check_display_name(name)
    except ValidationFailed as exc:
        errors.update(exc.fields)
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
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password) or user.is_disabled:
        return None
    if needs_rehash(user.password_hash):
        # The only moment the plain password is at hand: an old hash is upgraded now.
        user.password_hash = _hash(password)
        db.session.flush()
    return user


def end_sessions(user: User) -> None:
    """Invalidate every login session and remember-me cookie of `user`."""
    user.session_token = new_session_token()
    end_all_sessions(user)
    db.session.flush()


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password; every session, remember-me cookie and API token of the user ends."""
    if not verify_password(user.password_hash, current):
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
