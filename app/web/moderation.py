"""Moderation from the pages: flagging, a moderator's actions and private feedback on an
annotation, a group's queue and log, and undoing from the log."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from app import permissions, throttle
from app.extensions import limiter
from app.loaders import load_group
from app.models import Annotation, AnnotationStatus, Group
from app.routing import id_arg
from app.services import annotations, feedback, moderation, reading
from app.services.errors import ValidationFailed
from app.services.moderation import AnnotationAction
from app.web.actions import back_to, require_user, run_action, run_form
from app.web.blueprint import bp, viewer
from app.web.forms import (
    ActionForm,
    FeedbackForm,
    FlagForm,
    ModerateForm,
    hide_reason,
)
from app.web.present import ACTION_LABELS, Viewing
from app.web.reading_scope import in_context

QUEUE_PAGE = 50
LOG_PAGE = 100
# What the moderator is told once an action is done.
DONE: dict[str, str] = {action: rule.done for action, rule in moderation.ACTIONS.items()} | {
    "keep": "Kept: its flags are dismissed.",
    "unsuspend": "The suspension is lifted.",
    "restore_member": "They are a member again.",
}


def _note(annotation_id: int) -> Annotation:
    """The annotation for a signed-in user (404 unless they may see it)."""
    user = require_user(back_to=url_for("web.annotation", annotation_id=annotation_id))
    return annotations.get_annotation(user, annotation_id)


@bp.route("/annotations/<id:annotation_id>/flag", methods=["GET", "POST"])
@limiter.limit(throttle.WRITE_RATE, methods=["POST"], key_func=throttle.user_or_address)
def flag_annotation(annotation_id: int) -> ResponseReturnValue:
    note = _note(annotation_id)
    if request.method == "GET":
        permissions.ensure(permissions.can_flag_annotation, viewer(), note)
    form = FlagForm()

    def flag() -> str:
        moderation.flag_annotation(viewer(), note, form.reason.data or "", form.details.data)
        who = "instructors" if note.group_id is not None else "moderators"
        return f"Thank you: the {who} will take a look."

    def page(status: int) -> ResponseReturnValue:
        view = Viewing(viewer())
        return render_template("moderation/flag.html", note=note, form=form, view=view), status

    return run_form(form, flag, back_to(form, in_context(note)), page)


@bp.post("/annotations/<id:annotation_id>/moderate")
@limiter.limit(throttle.WRITE_RATE, key_func=throttle.user_or_address)
def moderate_annotation(annotation_id: int) -> Response:
    note = _note(annotation_id)
    form = ModerateForm()
    back = back_to(form, in_context(note))

    def act() -> str:
        action = form.action.data or ""
        keep = action == AnnotationAction.APPROVE and note.status == AnnotationStatus.VISIBLE
        why = hide_reason(form.preset.data, form.reason.data)
        # The pages promise the author a reason: a moderator hiding from them must give one.
        if (
            action == AnnotationAction.HIDE
            and not why
            and permissions.can_moderate_annotation(viewer(), note)
        ):
            why_needed = "Say why you hide it: its author is told. Choose or write a reason."
            raise ValidationFailed(why_needed, {"reason": why_needed})
        moderation.moderate_annotation(viewer(), note, action, why or None)
        return DONE["keep" if keep else action]

    return run_action(form, act, back)


@bp.route("/annotations/<id:annotation_id>/feedback", methods=["GET", "POST"])
@limiter.limit(throttle.WRITE_RATE, methods=["POST"], key_func=throttle.user_or_address)
def give_feedback(annotation_id: int) -> ResponseReturnValue:
    note = _note(annotation_id)
    user = viewer()
    if request.method == "GET":
        permissions.ensure(permissions.can_give_feedback, user, note)
    form = FeedbackForm()

    def give() -> str:
        feedback.give_feedback(user, note, form.body.data or "")
        return "Feedback sent: only the author and the group’s instructors see it."

    def page(status: int) -> ResponseReturnValue:
        given = feedback.list_feedback(user, note)
        return render_template(
            "moderation/feedback.html", note=note, form=form, view=Viewing(user), given=given
        ), status

    return run_form(form, give, back_to(form, in_context(note)), page)


# --- the queue and the log --------------------------------------------------------------------


@bp.get("/groups/<slug>/moderation")
def moderation_queue(slug: str) -> str:
    user = require_user()
    group = load_group(slug)
    return _queue_page(user, group)


@bp.get("/moderation/public")
def public_queue() -> str:
    """The public discussion's queue, for site admins."""
    return _queue_page(require_user(), None)


def _queue_page(user: Any, group: Group | None) -> str:
    after = id_arg("after")
    items = moderation.moderation_queue(user, group, QUEUE_PAGE + 1, after_id=after)
    more = len(items) > QUEUE_PAGE
    items = items[:QUEUE_PAGE]
    here = request.full_path.rstrip("?")
    return render_template(
        "moderation/queue.html",
        group=group,
        items=items,
        threads={item.annotation.id: reading.build_threads(item.thread) for item in items},
        view=Viewing(user),
        labels=ACTION_LABELS,
        actions=queue_actions,
        here=here,
        next_page=(_page_url(group, after=items[-1].annotation.id) if more and items else None),
    )


def _page_url(group: Group | None, after: int) -> str:
    """The queue's next page: a path on this site, whatever Host the request named."""
    if group is None:
        return url_for("web.public_queue", after=after)
    return url_for("web.moderation_queue", slug=group.slug, after=after)


def queue_actions(item: moderation.QueueItem) -> list[tuple[str, str]]:
    """The buttons for one queue item: what applies now, with "Keep" to dismiss flags."""
    note = item.annotation
    found = moderation.applicable_actions(note)
    if note.status == AnnotationStatus.VISIBLE and item.flags:
        found.insert(1 if AnnotationAction.HIDE in found else 0, AnnotationAction.APPROVE)
    keep = note.status == AnnotationStatus.VISIBLE
    labels = {**ACTION_LABELS, AnnotationAction.APPROVE: "Keep" if keep else "Approve"}
    return [(a, labels[a]) for a in found]


@bp.get("/groups/<slug>/moderation/log")
def moderation_log(slug: str) -> str:
    user = require_user()
    return _log_page(user, load_group(slug))


@bp.get("/moderation/public/log")
def public_moderation_log() -> str:
    """What admins did to public annotations, with undo: the public discussion's own log."""
    return _log_page(require_user(), None)


def _log_page(user: Any, group: Group | None) -> str:
    before = id_arg("before")
    entries = moderation.moderation_log(user, group, LOG_PAGE + 1, before_id=before)
    more = len(entries) > LOG_PAGE
    entries = entries[:LOG_PAGE]
    return render_template(
        "moderation/log.html",
        group=group,
        entries=entries,
        undoable=moderation.undoable(entries),
        notes=moderation.log_annotations(user, entries),
        view=Viewing(user),
        next_page=(_log_url(group, before=entries[-1].id) if more and entries else None),
    )


def _log_url(group: Group | None, before: int) -> str:
    """The log's older page: a path on this site, whatever Host the request named."""
    if group is None:
        return url_for("web.public_moderation_log", before=before)
    return url_for("web.moderation_log", slug=group.slug, before=before)


@bp.post("/groups/<slug>/moderation/log/<id:entry_id>/undo")
@limiter.limit(throttle.WRITE_RATE, key_func=throttle.user_or_address)
def undo_moderation(slug: str, entry_id: int) -> Response:
    user = require_user()
    group = load_group(slug)
    return _undo(user, group, entry_id, url_for("web.moderation_log", slug=slug))


@bp.post("/moderation/public/log/<id:entry_id>/undo")
@limiter.limit(throttle.WRITE_RATE, key_func=throttle.user_or_address)
def undo_public_moderation(entry_id: int) -> Response:
    return _undo(require_user(), None, entry_id, url_for("web.public_moderation_log"))


def _undo(user: Any, group: Group | None, entry_id: int, log_page: str) -> Response:
    form = ActionForm()

    def undo() -> str:
        done = moderation.undo_action(user, group, entry_id)
        return "Undone. " + DONE[done.action if done is not None else "restore_member"]

    return run_action(form, undo, back_to(form, log_page))
