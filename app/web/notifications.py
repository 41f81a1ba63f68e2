"""The reader's notifications: the list, opening one in context, marking them all read."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from app.extensions import db
from app.routing import id_arg
from app.services import annotations, notifications
from app.services.errors import NotFound
from app.web.actions import require_user, run_action
from app.web.blueprint import bp
from app.web.forms import ActionForm
from app.web.reading_scope import in_context

PAGE = 50


@bp.get("/notifications", endpoint="notifications")
def notifications_page() -> str:
    user = require_user()
    before = id_arg("before")
    items = notifications.list_notifications(user, limit=PAGE + 1, before_id=before)
    more = len(items) > PAGE
    items = items[:PAGE]
    return render_template(
        "notifications/index.html",
        items=items,
        contexts={n.id: notifications.context_of(user, n) for n in items},
        older=url_for("web.notifications", before=items[-1].id) if more else None,
        first_page=before is None,
    )


@bp.get("/notifications/<id:notification_id>")
def open_notification(notification_id: int) -> Response:
    """Mark it read and go to what it is about, in its discussion."""
    user = require_user()
    note = notifications.open_notification(user, notification_id)
    annotation_id = note.annotation_id
    db.session.commit()
    if annotation_id is None:
        return redirect(url_for("web.notifications"))
    try:
        target = annotations.get_annotation(user, annotation_id)
    except NotFound:
        flash("That note is no longer there for you to see.", "info")
        return redirect(url_for("web.notifications"))
    return redirect(in_context(target))


@bp.post("/notifications/read")
def mark_notifications_read() -> Response:
    user = require_user()

    def mark() -> str:
        n = notifications.mark_read(user)
        return "All caught up." if n else "Nothing was unread."

    return run_action(ActionForm(), mark, url_for("web.notifications"))
