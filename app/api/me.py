"""GET /me: who the caller is; their own data: export and deleting the account."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from app import throttle
from app.api.auth import require_user
from app.api.inputs import json_body
from app.api.openapi import operation
from app.api.presenters import present_me
from app.api.schemas import DeleteMe, ExportOut, MeOut
from app.errors import json_error
from app.extensions import db
from app.services import own_data
from app.services.errors import ValidationFailed

bp = Blueprint("me", __name__)


@bp.get("/me")
@operation("Who the caller is, by token or session cookie.", "auth", {200: MeOut}, auth="required")
def me() -> ResponseReturnValue:
    return present_me(require_user())


@bp.get("/me/export")
@operation(
    "Everything the caller wrote (notes, private ones too; feedback) and their account data.",
    "auth",
    {200: ExportOut},
    auth="required",
)
def export_me() -> ResponseReturnValue:
    return own_data.export_user_data(require_user())


@bp.delete("/me")
@operation(
    "Delete the caller's account, confirmed with their password.",
    "auth",
    {204: None},
    auth="required",
    body=DeleteMe,
    errors=(409, 429),
    description="Notes others replied to stay as placeholders by 'a former member'; the "
    "rest are removed; name, address, password, groups, sessions and tokens are erased. "
    "The last administrator cannot delete the account (409). A wrong password counts as a "
    "failed sign-in of the account (429 with Retry-After after too many).",
)
def delete_me() -> ResponseReturnValue:
    user = require_user()
    data = json_body(DeleteMe)
    # A stolen token is no way to guess the password: the sign-in backoff holds here too.
    if (wait := throttle.login_backoff(user.username)) is not None:
        message = "Too many wrong passwords for this account; wait and retry."
        response = json_error(429, message, "rate_limited")
        response.headers["Retry-After"] = str(wait.retry_after)
        return response
    try:
        own_data.delete_account(user, data.password)
    except ValidationFailed as exc:
        if "password" in exc.fields:
            throttle.record_failed_login(user.username)
        raise
    db.session.commit()
    return "", 204
