"""Who is calling the API (a Bearer token, else the session cookie), and CSRF for the cookie."""

from __future__ import annotations

from typing import NoReturn

from flask import abort, current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from app.api.inputs import BadRequest
from app.errors import json_error
from app.extensions import csrf, db, login_manager
from app.models import ApiToken, User
from app.services.tokens import find_token_user

REALM = 'realm="counterpoint"'
# Endpoints whose own credentials (HTTP Basic) prove the request was not forged.
CSRF_FREE_ENDPOINTS = {"api.tokens.issue_token"}


def bearer_token() -> str | None:
    """The raw token of an `Authorization: Bearer` header ("" if empty), or None if none."""
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    return raw.strip() if scheme.lower() == "bearer" else None


def unauthorized(message: str, scheme: str = "Bearer") -> NoReturn:
    """Stop with a JSON 401 that names the scheme to use."""
    response = json_error(401, message)
    response.headers["WWW-Authenticate"] = f"{scheme} {REALM}"
    abort(response)


def authenticate() -> None:
    """before_request: a request that sends a token is judged by the token alone.

    A bad token is refused outright rather than treated as anonymous (or as the session
    cookie that may come with it), so a client learns at once that its token has lapsed.
    """
    raw = bearer_token()
    if raw is None:
        return
    found = find_token_user(raw) if raw else None
    if found is None:
        unauthorized("The token is unknown, expired or revoked; get a new one at POST /tokens.")
    g.api_caller, g.api_token_id = found
    # Flask-Login's current_user is this caller too. Whatever asks for it (the rate limiter's
    # key, every write) would otherwise run its request_loader: the same token looked up again.
    login_manager._update_request_context_with_user(found[0])


def by_token() -> bool:
    """Whether this request was authenticated with a Bearer token."""
    return g.get("api_token_id") is not None


def current_token() -> ApiToken | None:
    """The token this request was authenticated with, if any (loaded when asked for)."""
    token_id = g.get("api_token_id")
    return None if token_id is None else db.session.get(ApiToken, token_id)


def caller() -> User | None:
    """The signed-in user, by token or session cookie; None for anonymous callers."""
    if "api_caller" not in g:
        user = current_user._get_current_object()  # Flask-Login: the session cookie
        g.api_caller = user if isinstance(user, User) else None
    return g.api_caller


def require_user() -> User:
    """The signed-in user, or a JSON 401 (never Flask-Login's redirect to the login page)."""
    user = caller()
    if user is None:
        unauthorized("Sign in first: send a Bearer token (see POST /tokens) or the session cookie.")
    return user


def check_csrf() -> None:
    """before_request: writes authenticated by the session cookie must carry X-CSRFToken.

    Requests with a Bearer token need no CSRF token: a browser never adds that header on its
    own, so another site cannot forge one. Anonymous writes fall through to a 401.
    """
    config = current_app.config
    if not config["WTF_CSRF_ENABLED"] or request.method not in config["WTF_CSRF_METHODS"]:
        return
    if by_token() or request.endpoint in CSRF_FREE_ENDPOINTS:
        return
    if caller() is None:
        return
    try:
        csrf.protect()
    except CSRFError:
        raise BadRequest(
            "Writes signed in by session cookie need the X-CSRFToken header "
            "(or use a Bearer token instead)."
        ) from None
