"""API tokens: issued against a password, stored as a digest, expiring and revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update

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


def find_token_user(raw: str, now: datetime | None = None) -> tuple[User, int] | None:
    """The user an active token with this raw value stands for, and the token's id.

    What every API request needs, in one query on the unique digest index: expiry and
    revocation are checked in SQL and the token row itself is not loaded.
    """
    found = db.session.execute(
        _TOKEN_USER, {"digest": _digest(raw), "now": now or utcnow()}
    ).first()
    return None if found is None else (found[0], found[1])


# Built once: every API request runs it.
_TOKEN_USER = (
    select(User, ApiToken.id)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("digest"),
        ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > bindparam("now", type_=ApiToken.expires_at.type),
    )
)


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
