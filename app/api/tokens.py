"""POST/DELETE /tokens: trading a password for an API token, and giving it back."""

from __future__ import annotations

from typing import NoReturn

from flask import Blueprint, abort, request
from flask.typing import ResponseReturnValue

from app import throttle
from app.api.auth import current_token, unauthorized
from app.api.openapi import operation
from app.api.presenters import present_token
from app.api.schemas import TokenOut
from app.errors import json_error
from app.extensions import db, limiter
from app.loaders import has_nul
from app.services import tokens
from app.services.users import authenticate

bp = Blueprint("tokens", __name__)
# Each try costs a password hash; a guesser gets few of them.


@bp.post("/tokens")
@limiter.limit(throttle.API_SIGNIN_RATE)
@operation(
    "Get an API token for the account named by HTTP Basic credentials.",
    "auth",
    {201: TokenOut},
    auth="basic",
    errors=(429,),
    description="No body. The token is shown once; send it as `Authorization: Bearer <token>`.",
)
def issue_token() -> ResponseReturnValue:
    credentials = request.authorization
    if credentials is None or credentials.type != "basic" or not credentials.username:
        unauthorized("Send your username and password with HTTP Basic authentication.", "Basic")
    username, password = credentials.username, credentials.password or ""
    # The same failed-sign-in backoff as the login page: else this is the way around it.
    if (wait := throttle.login_backoff(username)) is not None:
        _wait(wait.retry_after)
    user = None if has_nul(username) else authenticate(username, password)
    if user is None:
        throttle.record_failed_login(username)
        unauthorized("Wrong username or password.", "Basic")
    throttle.clear_failed_logins(username)
    raw, token = tokens.issue_token(user)
    body = present_token(raw, token)
    db.session.commit()
    return body, 201


def _wait(seconds: int) -> NoReturn:
    message = "Too many failed sign-ins for this account or from this address; wait and retry."
    response = json_error(429, message, "rate_limited")
    response.headers["Retry-After"] = str(seconds)
    abort(response)


@bp.delete("/tokens")
@operation(
    "Revoke the token this request is sent with.",
    "auth",
    {204: None},
    auth="bearer",
)
def revoke_token() -> ResponseReturnValue:
    token = current_token()
    if token is None:
        unauthorized("Send the token to revoke as `Authorization: Bearer <token>`.")
    tokens.revoke_token(token)
    db.session.commit()
    return "", 204
