"""Reading groups: create, join, leave, read one, and (instructors) manage readings and members.

A group exists only for its members and instructors (and site admins): for everyone else every
route naming it answers 404, never 403.
"""

from __future__ import annotations

from operator import itemgetter

from flask import Blueprint, url_for
from flask.typing import ResponseReturnValue

from app.api.auth import caller, require_user
from app.api.inputs import json_body, optional_json_body, query_args
from app.api.openapi import operation
from app.api.pagination import PageQuery, split_page
from app.api.presenters import (
    Json,
    present_group,
    present_group_summary,
    present_member,
    present_page,
    present_reading,
)
from app.api.schemas import (
    GroupCreate,
    GroupOut,
    GroupPage,
    GroupUpdate,
    JoinIn,
    MemberOut,
    MemberUpdate,
    ReadingCreate,
    ReadingOut,
    RemovalIn,
)
from app.database import commit_racing
from app.extensions import db, limiter
from app.loaders import load_article, load_article_field, load_group, load_user
from app.models import Group, User
from app.services import groups

bp = Blueprint("groups", __name__)
ONE = "/groups/<group:slug>"  # not "join": POST /groups/join is its own route
MEMBER = f"{ONE}/members/<username>"
# A join code is a secret of 8 characters from 31: guessing one takes far more tries than this.
JOIN_LIMIT = "20 per minute; 200 per hour"


def _detail(group: Group, user: User | None) -> Json:
    return present_group(group, user, groups.list_members(group), groups.list_readings(group))


@bp.get("/groups")
@operation(
    "The reading groups the caller belongs to, in the order they were created.",
    "groups",
    {200: GroupPage},
    auth="required",
    query=PageQuery,
)
def list_groups() -> ResponseReturnValue:
    user = require_user()
    query = query_args(PageQuery)
    rows = groups.list_my_groups_page(user, query.cursor, query.limit + 1)
    shown, next_cursor = split_page(rows, query.limit, key=lambda row: row[0].id)
    return present_page((present_group_summary(g, user) for g in map(itemgetter(0), shown)),
                        next_cursor)  # fmt: skip


@bp.post("/groups")
@operation(
    "Create a reading group; the caller (an instructor or admin) becomes its instructor.",
    "groups",
    {201: GroupOut},
    auth="required",
    body=GroupCreate,
    errors=(403,),
    headers={201: {"Location": "The new group's URL."}},
    description="Share `join_code` with the class: they join with `POST /groups/join`.",
)
def create_group() -> ResponseReturnValue:
    user = require_user()
    data = json_body(GroupCreate)
    group = commit_racing(lambda: groups.create_group(user, data.name))
    location = url_for("api.groups.get_group", slug=group.slug)
    return _detail(group, user), 201, {"Location": location}


@bp.post("/groups/join")
@limiter.limit(JOIN_LIMIT)
@operation(
    "Join a reading group with the code its instructor gave out.",
    "groups",
    {200: GroupOut},
    auth="required",
    body=JoinIn,
    errors=(403, 409, 429),
    description=(
        "An unknown or expired code is a 422 naming `join_code`; an archived group refuses "
        "new members (409); a member an instructor removed must be restored first (403). "
        "Joining a group one is already in changes nothing."
    ),
)
def join_group() -> ResponseReturnValue:
    user = require_user()
    data = json_body(JoinIn)
    group = commit_racing(lambda: groups.join_group(user, data.join_code))
    return _detail(group, user)


@bp.get(ONE)
@operation(
    "One reading group, with its readings and members; for its members and instructors.",
    "groups",
    {200: GroupOut},
    description="Everyone else gets 404. The join code and suspensions are shown to "
    "instructors alone.",
)
def get_group(slug: str) -> ResponseReturnValue:
    user = caller()
    return _detail(load_group(slug), user)


@bp.patch(ONE)
@operation(
    "Rename, archive or reopen a group, or change its pre-moderation; instructors only.",
    "groups",
    {200: GroupOut},
    auth="required",
    body=GroupUpdate,
    errors=(403,),
)
def update_group(slug: str) -> ResponseReturnValue:
    user = require_user()
    data = json_body(GroupUpdate)
    group = load_group(slug)
    mode = data.premoderation
    groups.update_group(
        user,
        group,
        name=data.name,
        archived=data.archived,
        premoderation=mode.mode if mode is not None else None,
        posts=mode.posts if mode is not None else None,
    )
    db.session.commit()
    return _detail(group, user)


@bp.post(f"{ONE}/join-code")
@operation(
    "Replace the group's join code; the old one stops working at once. Instructors only.",
    "groups",
    {200: GroupOut},
    auth="required",
    errors=(403,),
)
def regenerate_join_code(slug: str) -> ResponseReturnValue:
    user = require_user()
    group = load_group(slug)
    groups.regenerate_join_code(user, group)
    db.session.commit()
    return _detail(group, user)


@bp.post(f"{ONE}/leave")
@operation(
    "Leave the group (joining again with a code restores the membership).",
    "groups",
    {204: None},
    auth="required",
    errors=(409,),
    description="The group's only instructor cannot leave (409): make someone else one first.",
)
def leave_group(slug: str) -> ResponseReturnValue:
    user = require_user()
    groups.leave_group(user, load_group(slug))
    db.session.commit()
    return "", 204


@bp.post(f"{ONE}/articles")
@operation(
    "Assign an article to the group, with an optional due date; instructors only.",
    "groups",
    {201: ReadingOut},
    auth="required",
    body=ReadingCreate,
    errors=(403,),
    description="Assigning an article already assigned sets its due date. An unknown article "
    "is a 422 naming `article`.",
)
def assign_reading(slug: str) -> ResponseReturnValue:
    user = require_user()
    data = json_body(ReadingCreate)
    group = load_group(slug)
    article = load_article_field(data.article)
    body = commit_racing(
        lambda: present_reading(groups.assign_reading(user, group, article, data.due))
    )
    return body, 201


@bp.delete(f"{ONE}/articles/<article>")
@operation(
    "Take an article off the group's readings (its discussion is kept); instructors only.",
    "groups",
    {204: None},
    auth="required",
    errors=(403,),
)
def unassign_reading(slug: str, article: str) -> ResponseReturnValue:
    user = require_user()
    group = load_group(slug)
    groups.unassign_reading(user, group, load_article(article))
    db.session.commit()
    return "", 204


@bp.patch(MEMBER)
@operation(
    "Make a member a co-instructor, or an instructor a member again; instructors only.",
    "groups",
    {200: MemberOut},
    auth="required",
    body=MemberUpdate,
    errors=(403, 409),
    description="A group keeps at least one instructor (409). Someone not in the group is a "
    "422 naming `username`.",
)
def update_member(slug: str, username: str) -> ResponseReturnValue:
    user = require_user()
    data = json_body(MemberUpdate)
    group = load_group(slug)
    member = load_user(username)
    membership = groups.set_member_role(user, group, member.username, data.role)
    db.session.commit()
    return present_member(member, membership, manages=True)


@bp.delete(MEMBER)
@operation(
    "Remove a member from the group (undo: .../restore); instructors only.",
    "groups",
    {204: None},
    auth="required",
    body=RemovalIn,
    body_optional=True,
    errors=(403, 409),
    description="Their annotations stay. The optional reason goes in the moderation log.",
)
def remove_member(slug: str, username: str) -> ResponseReturnValue:
    user = require_user()
    data = optional_json_body(RemovalIn)
    group = load_group(slug)
    groups.remove_member(user, group, load_user(username).username, data.reason)
    db.session.commit()
    return "", 204


@bp.post(f"{MEMBER}/restore")
@operation(
    "Re-admit a member an instructor removed; instructors only.",
    "groups",
    {204: None},
    auth="required",
    errors=(403, 409),
)
def restore_member(slug: str, username: str) -> ResponseReturnValue:
    user = require_user()
    group = load_group(slug)
    groups.restore_member(user, group, load_user(username).username)
    db.session.commit()
    return "", 204
