"""The known-device cookie: a browser where an account signed in before keeps its own budget
of failed sign-ins, so that strangers guessing the username cannot lock the owner out.

The cookie holds a random device id and the account it was earned for (as the backoff's keyed
digest, never the username), signed with SECRET_KEY. It is no credential: it signs nobody in,
it only decides which failures an attempt is counted with.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import Response, after_this_request, current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

COOKIE = "cp_device"
LIFETIME = timedelta(days=365)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="known-device")


def device_for(account: str) -> str | None:
    """The digest of this browser's device id if it is known for `account`, else None."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer().loads(raw)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("a") != account or not isinstance(data.get("d"), str):
        return None
    return hashlib.sha256(data["d"].encode()).hexdigest()


def remember_device(account: str) -> None:
    """After a successful sign-in: this browser is a known device of `account` from now on."""
    value = _serializer().dumps({"a": account, "d": secrets.token_urlsafe(16)})
    config = current_app.config

    @after_this_request
    def _set(response: Response) -> Response:
        response.set_cookie(
            COOKIE,
            value,
            max_age=int(LIFETIME.total_seconds()),
            httponly=True,
            samesite="Lax",
            secure=bool(config.get("SESSION_COOKIE_SECURE")),
        )
        return response
