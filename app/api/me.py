"""GET /me: who the caller is; their own data: export and deleting the account."""

from __future__ import annotations

import json

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue

from app import throttle
from app.api.auth import require_user
from app.api.inputs import json_body
from app.api.openapi import operation
from app.api.presenters import present_me
from app.api.schemas import DeleteMe, ExportOut, MeOut
from app.errors import json_error
from app.extensions import db
from app.links import public_url_for
from app.services import own_data, webanno
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


@bp.get("/me/export.jsonld")
@operation(
    "Every annotation the caller wrote as a W3C Web Annotation AnnotationCollection.",
    "auth",
    {200: {"type": "object", "description": "JSON-LD, context http://www.w3.org/ns/anno.jsonld."}},
    auth="required",
    media=webanno.JSONLD,
    description="All of the caller's own annotations, private, hidden and deleted ones too "
    "(each says its `cp:visibility` and `cp:status`), with every AnnotationPage embedded; "
    "nothing anyone else wrote. The kind is the motivation and `cp:stance`.",
)
def export_me_jsonld() -> ResponseReturnValue:
    user = require_user()
    site = webanno.Site(public_url_for("web.index"))
    collection = public_url_for("api.me.export_me_jsonld")
    body = json.dumps(webanno.authored_ld(user, site, collection), ensure_ascii=False)
    response = Response(body, mimetype="application/ld+json")
    response.headers["Content-Type"] = f"{webanno.JSONLD}; charset=utf-8"
    response.headers["Vary"] = "Authorization, Cookie"
    return response


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
