"""The caller's notifications: replies, counterarguments, moderation and feedback on their work."""

from __future__ import annotations

from operator import attrgetter

from flask import Blueprint
from flask.typing import ResponseReturnValue

from app.api.auth import require_user
from app.api.inputs import optional_json_body, query_args
from app.api.openapi import operation
from app.api.pagination import split_page
from app.api.presenters import present_counts, present_marked, present_notification, present_page
from app.api.schemas import (
    MarkedOut,
    MarkRead,
    NotificationCountOut,
    NotificationFilters,
    NotificationPage,
)
from app.extensions import db
from app.services import moderation, notifications

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@operation(
    "The caller's notifications, newest first.",
    "notifications",
    {200: NotificationPage},
    auth="required",
    query=NotificationFilters,
)
def list_notifications() -> ResponseReturnValue:
    user = require_user()
    query = query_args(NotificationFilters)
    rows = notifications.list_notifications(user, query.unread, query.limit + 1, query.cursor)
    shown, next_cursor = split_page(rows, query.limit, key=attrgetter("id"))
    return present_page(
        (present_notification(n, notifications.context_of(user, n)) for n in shown), next_cursor
    )


@bp.get("/notifications/count")
@operation(
    "How many notifications are unread, and how many items wait in the caller's moderation "
    "queues (0 for those who moderate nothing).",
    "notifications",
    {200: NotificationCountOut},
    auth="required",
)
def count_notifications() -> ResponseReturnValue:
    counts = moderation.header_counts(require_user())  # what the site header shows: one read
    return present_counts(counts.unread, sum(counts.queues.values()))


@bp.post("/notifications/read")
@operation(
    "Mark notifications read: those named by `ids`, or all of them when it is left out.",
    "notifications",
    {200: MarkedOut},
    auth="required",
    body=MarkRead,
    body_optional=True,
    description="Ids that are not the caller's, or already read, are skipped.",
)
def mark_read() -> ResponseReturnValue:
    user = require_user()
    data = optional_json_body(MarkRead)
    marked = notifications.mark_read(user, data.ids)
    db.session.commit()
    return present_marked(marked)
