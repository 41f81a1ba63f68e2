"""Moderation: flags, moderators' actions on annotations, the queue, the log and suspensions.

Each call first loads what it names as the caller may see it, so a group annotation or group
is a 404 for outsiders; a member who may see it but not moderate it gets 403.
"""

from __future__ import annotations

from operator import attrgetter

from flask import Blueprint
from flask.typing import ResponseReturnValue

from app.api.auth import require_user
from app.api.inputs import json_body, optional_json_body, query_args
from app.api.openapi import operation
from app.api.pagination import PageQuery, split_page
from app.api.presenters import (
    present_annotation,
    present_flag,
    present_log_entry,
    present_page,
    present_queue_item,
    present_suspension,
)
from app.api.schemas import (
    AnnotationOut,
    FlagCreate,
    FlagOut,
    LogPage,
    ModerationIn,
    QueuePage,
    SuspensionCreate,
    SuspensionOut,
    UnsuspendIn,
)
from app.database import commit_racing
from app.extensions import db
from app.loaders import load_group, load_user
from app.models.base import utcnow
from app.services import annotations, moderation

bp = Blueprint("moderation", __name__)
ONE = "/annotations/<id:annotation_id>"
GROUP = "/groups/<group:slug>"


@bp.post(f"{ONE}/flags")
@operation(
    "Flag an annotation for its moderators; once per person.",
    "moderation",
    {201: FlagOut},
    auth="required",
    body=FlagCreate,
    errors=(403, 409),
    description="Anyone who can see the annotation may flag it, except its author (403). "
    "Flagging it again is a 409. A group's flags go to its instructors' queue.",
)
def flag_annotation(annotation_id: int) -> ResponseReturnValue:
    user = require_user()
    data = json_body(FlagCreate)
    annotation = annotations.get_annotation(user, annotation_id)
    # Presented before the commit: a flag's user is not loaded again once expired.
    body = commit_racing(
        lambda: present_flag(
            moderation.flag_annotation(user, annotation, data.reason, data.details)
        )
    )
    return body, 201


@bp.post(f"{ONE}/moderation")
@operation(
    "Act on an annotation as its moderator (an instructor of its group, or an admin).",
    "moderation",
    {200: AnnotationOut},
    auth="required",
    body=ModerationIn,
    errors=(403, 409),
    description=(
        "Returns the annotation as its moderators see it. Nothing is destroyed: each action is "
        "logged with the state it replaced and undone by its pair. An action that does not "
        "apply to the annotation's state (e.g. unhide a visible one) is a 409."
    ),
)
def moderate_annotation(annotation_id: int) -> ResponseReturnValue:
    user = require_user()
    data = json_body(ModerationIn)
    annotation = annotations.get_annotation(user, annotation_id)
    moderation.moderate_annotation(user, annotation, data.action, data.reason)
    db.session.commit()
    return present_annotation(annotations.get_annotation(user, annotation_id), user)


@bp.get(f"{GROUP}/moderation/queue")
@operation(
    "The group's flagged and held annotations, oldest first; instructors only.",
    "moderation",
    {200: QueuePage},
    auth="required",
    query=PageQuery,
    errors=(403,),
    description="Each item carries its block's text, its open flags and its whole thread. An "
    "item leaves the queue once a moderator hides, approves or deletes it.",
)
def moderation_queue(slug: str) -> ResponseReturnValue:
    user = require_user()
    query = query_args(PageQuery)
    group = load_group(slug)
    items = moderation.moderation_queue(user, group, query.limit + 1, after_id=query.cursor)
    shown, next_cursor = split_page(items, query.limit, key=lambda item: item.annotation.id)
    return present_page((present_queue_item(item, user) for item in shown), next_cursor)


@bp.get(f"{GROUP}/moderation/log")
@operation(
    "Every moderation action in the group, newest first: who, when, why, and what it "
    "replaced; instructors only.",
    "moderation",
    {200: LogPage},
    auth="required",
    query=PageQuery,
    errors=(403,),
)
def moderation_log(slug: str) -> ResponseReturnValue:
    user = require_user()
    query = query_args(PageQuery)
    group = load_group(slug)
    entries = moderation.moderation_log(user, group, query.limit + 1, before_id=query.cursor)
    shown, next_cursor = split_page(entries, query.limit, key=attrgetter("id"))
    return present_page(map(present_log_entry, shown), next_cursor)


@bp.get("/moderation/log")
@operation(
    "Every moderation action on public annotations, newest first: who, when, why, and what "
    "it replaced; site admins only.",
    "moderation",
    {200: LogPage},
    auth="required",
    query=PageQuery,
    errors=(403,),
)
def public_moderation_log() -> ResponseReturnValue:
    user = require_user()
    query = query_args(PageQuery)
    entries = moderation.moderation_log(user, None, query.limit + 1, before_id=query.cursor)
    shown, next_cursor = split_page(entries, query.limit, key=attrgetter("id"))
    return present_page(map(present_log_entry, shown), next_cursor)


@bp.post(f"{GROUP}/members/<username>/suspension")
@operation(
    "Suspend a member from posting in the group (they can still read); instructors only.",
    "moderation",
    {201: SuspensionOut},
    auth="required",
    body=SuspensionCreate,
    errors=(403, 409),
    description="Send `until` (ISO 8601 with a zone) or `days`; at most a year away. "
    "Instructors cannot be suspended (409).",
)
def suspend_member(slug: str, username: str) -> ResponseReturnValue:
    user = require_user()
    data = json_body(SuspensionCreate)
    group = load_group(slug)
    member = load_user(username)
    until = data.end(utcnow())
    entry = moderation.suspend_member(user, group, member, until, data.reason)
    body = present_suspension(member, until, entry.reason)
    db.session.commit()
    return body, 201


@bp.delete(f"{GROUP}/members/<username>/suspension")
@operation(
    "Lift a member's suspension; instructors only.",
    "moderation",
    {204: None},
    auth="required",
    body=UnsuspendIn,
    body_optional=True,
    errors=(403, 409),
    description="A member who is not suspended is a 409.",
)
def unsuspend_member(slug: str, username: str) -> ResponseReturnValue:
    user = require_user()
    data = optional_json_body(UnsuspendIn)
    group = load_group(slug)
    moderation.unsuspend_member(user, group, load_user(username), data.reason)
    db.session.commit()
    return "", 204
