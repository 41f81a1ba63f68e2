"""Signed links mailed to members: which account, for what, until when. No database row.

Each is signed with SECRET_KEY under its own purpose, so a link made for one thing (say,
unsubscribing) is worthless for another (resetting a password).
"""

from __future__ import annotations

import enum
from datetime import timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.services.errors import DomainError


class Purpose(enum.StrEnum):
    CONFIRM = "confirm-email"
    RESET = "reset-password"
    UNSUBSCRIBE = "unsubscribe"


class InvalidLink(DomainError):
    code = "bad_request"
    status = 400


def _serializer(purpose: Purpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=f"counterpoint/{purpose}")


def sign(purpose: Purpose, payload: dict[str, Any]) -> str:
    return _serializer(purpose).dumps(payload)


def unsign(purpose: Purpose, token: str, max_age: timedelta | None = None) -> dict[str, Any]:
    """The payload of a link made by `sign` for `purpose`; InvalidLink if forged or expired."""
    try:
        payload = _serializer(purpose).loads(
            token, max_age=int(max_age.total_seconds()) if max_age else None
        )
    except SignatureExpired:
        raise InvalidLink("This link has expired. Ask for a new one.") from None
    except BadSignature:
        raise InvalidLink("This link is not valid. Copy the whole link from the mail.") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise InvalidLink("This link is not valid. Copy the whole link from the mail.")
    return payload
