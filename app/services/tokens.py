"""API tokens: issued against a password, stored as a digest, expiring and revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from app.extensions import db
from app.models import ApiToken, User
from app.models.base import utcnow

TOKEN_LIFETIME = timedelta(days=30)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User, lifetime: timedelta = TOKEN_LIFETIME) -> tuple[str, ApiToken]:
    """A new token for `user`: the raw value (shown once) and its stored record."""
    raw = "cp_" + secrets.token_urlsafe(32)
    token = ApiToken(user=user, token_hash=_digest(raw), expires_at=utcnow() + lifetime)
    db.session.add(token)
    db.session.flush()
    return raw, token


def find_token(raw: str, now: datetime | None = None) -> ApiToken | None:
    """The active token with this raw value, or None if unknown, expired or revoked."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(raw)))
    if token is None or not token.is_active(now or utcnow()):
        return None
    return token


def revoke_token(token: ApiToken) -> None:
    token.revoked_at = utcnow()
    db.session.flush()


def revoke_all_tokens(user: User) -> None:
    """Revoke every token `user` holds: a token stolen earlier dies with the old password."""
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
