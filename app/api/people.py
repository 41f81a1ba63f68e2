"""Accounts in the API: the admin's list and changes (CONTRACT §8), and mention completion."""

from __future__ import annotations

from operator import attrgetter

from flask import Blueprint
from flask.typing import ResponseReturnValue

from app.api.auth import require_user
from app.api.inputs import json_body, query_args
from app.api.openapi import operation
from app.api.pagination import split_page
from app.api.presenters import present_author, present_page, present_user
from app.api.schemas import (
    MentionablePage,
    MentionFilters,
    UserFilters,
    UserOut,
    UserPage,
    UserPatch,
)
from app.extensions import db
from app.loaders import load_article, load_group
from app.services import mentions, people
from app.services.errors import ValidationFailed

bp = Blueprint("people", __name__)


@bp.get("/users")
@operation(
    "Find accounts (site admins).", "accounts", {200: UserPage}, auth="required",
    query=UserFilters, errors=(403,),
)  # fmt: skip
def list_users() -> ResponseReturnValue:
    admin = require_user()
    query = query_args(UserFilters)
    rows = people.search_users(admin, query.q, query.limit + 1, query.cursor)
    shown, next_cursor = split_page(rows, query.limit, key=attrgetter("id"))
    return present_page(map(present_user, shown), next_cursor)


@bp.patch("/users/<username>")
@operation(
    "Change an account's site role, or disable / re-enable it (site admins).",
    "accounts", {200: UserOut}, auth="required", body=UserPatch, errors=(403, 409),
    description="Disabling ends the account's sessions and API tokens at once; its notes "
    "stay. The last enabled administrator cannot be disabled or demoted (409).",
)  # fmt: skip
def update_user(username: str) -> ResponseReturnValue:
    admin = require_user()
    data = json_body(UserPatch)
    people.check_manager(admin)
    if data.role is None and data.disabled is None:
        raise ValidationFailed("Nothing to change.", {"role": "Send a role or disabled."})
    subject = people.get_person(username)
    if data.role is not None:
        people.set_role(admin, subject, data.role)
    if data.disabled is True:
        people.disable_account(admin, subject)
    elif data.disabled is False:
        people.enable_account(admin, subject)
    db.session.commit()
    return present_user(subject)


@bp.get("/people/mentionable")
@operation(
    "People the caller may @mention in a discussion, for the composer's completion.",
    "accounts", {200: MentionablePage}, auth="required", query=MentionFilters, errors=(404,),
    description="With `group`: its active members (the caller must belong). With `article`: "
    "the people who wrote in its public discussion. The caller is left out. A group the "
    "caller may not see, or an unknown group or article, is a 404.",
)  # fmt: skip
def mentionable() -> ResponseReturnValue:
    user = require_user()
    query = query_args(MentionFilters)
    group = load_group(query.group) if query.group else None  # 404 to outsiders
    article_id = load_article(query.article).id if query.article and group is None else None
    found = mentions.mentionable(user, query.q, group, article_id)
    return {"items": [present_author(u) for u in found]}
