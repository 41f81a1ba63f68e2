"""Arguing from the pages: marking a note helpful, and a question's reply as its answer."""

from __future__ import annotations

from flask import url_for
from werkzeug.wrappers import Response

from app import throttle
from app.extensions import limiter
from app.services import annotations, helpful
from app.web.actions import back_to, require_user, run_action
from app.web.articles import in_context
from app.web.blueprint import bp
from app.web.forms import ToggleForm


@bp.post("/annotations/<int:annotation_id>/helpful")
@limiter.limit(throttle.WRITE_RATE, key_func=throttle.user_or_address)
def mark_helpful(annotation_id: int) -> Response:
    user = require_user(back_to=url_for("web.annotation", annotation_id=annotation_id))
    note = annotations.get_annotation(user, annotation_id)
    form = ToggleForm()
    back = back_to(form, in_context(note))

    def act() -> str:
        if form.undo.data:
            helpful.unmark_helpful(user, note)
            return "Your helpful mark is taken back."
        helpful.mark_helpful(user, note)
        return "Marked as helpful."

    return run_action(form, act, back)


@bp.post("/annotations/<int:annotation_id>/answer")
@limiter.limit(throttle.WRITE_RATE, key_func=throttle.user_or_address)
def mark_answer(annotation_id: int) -> Response:
    user = require_user(back_to=url_for("web.annotation", annotation_id=annotation_id))
    reply = annotations.get_annotation(user, annotation_id)
    form = ToggleForm()
    back = back_to(form, in_context(reply))

    def act() -> str:
        annotations.mark_answer(user, reply, answers=not form.undo.data)
        return "No longer marked as the answer." if form.undo.data else "Marked as the answer."

    return run_action(form, act, back)
