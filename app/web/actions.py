"""Small action forms (join, flag, hide, suspend, ...): run one service call, commit once, say
how it went in a flash message, and go back to the page the form was on. Form pages (run_form)
do the same, but show a refused form again with its errors on its fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.database import commit_racing
from app.extensions import db
from app.services.errors import Conflict, DomainError, ValidationFailed
from app.web.blueprint import viewer
from app.web.forms import add_errors
from app.web.present import safe_next

# What an action form may get wrong, said in a flash message; other domain errors (Forbidden,
# NotFound) become error pages.
ACTION_ERRORS = (ValidationFailed, Conflict)


def require_user(back_to: str | None = None) -> Any:
    """The signed-in user; anyone else is sent to sign in first, then back to `back_to` (by
    default the page asked for, when it was a GET)."""
    user = viewer()
    if not user.is_authenticated:
        if back_to is None and request.method == "GET":
            back_to = request.full_path.rstrip("?")
        flash("Sign in first.", "info")
        abort(redirect(url_for("web.login", next=safe_next(back_to))))
    return user


def error_text(exc: DomainError) -> str:
    """The most specific thing a domain error says: its first field's message, or its own."""
    return next(iter(exc.fields.values()), exc.message) if exc.fields else exc.message


def first_error(form: FlaskForm) -> str:
    for messages in form.errors.values():
        if messages:
            return str(messages[0])
    return "That did not work. Check the form and try again."


def back_to(form: Any, default: str) -> str:
    """The form's `next` page if it is on this site, else `default`."""
    field = getattr(form, "next", None)
    return safe_next(field.data if field is not None else None) or default


def run_action(form: FlaskForm, do: Callable[[], str], back: str) -> Response:
    """Validate the form, run `do` (one service call that returns what to tell the user),
    commit once (database.commit_racing), and go back; a refused action is rolled back and
    explained instead."""
    if not form.validate_on_submit():
        flash(first_error(form), "error")
        return redirect(back)
    try:
        done = commit_racing(do)  # a twin request's insert first: `do` runs again and sees it
    except ACTION_ERRORS as exc:
        db.session.rollback()
        flash(error_text(exc), "error")
        return redirect(back)
    flash(done, "success")
    return redirect(back)


def run_form(
    form: FlaskForm,
    do: Callable[[], str],
    back: str,
    page: Callable[[int], ResponseReturnValue],
) -> ResponseReturnValue:
    """A form page: validate the form, run `do` (one service call that returns what to tell the
    user), commit once (database.commit_racing), say it and go `back`. Otherwise `page(status)`
    draws the form: 200 to fill it in, 422 when it fails its own checks, and the error's status
    with its messages on the fields when the service refuses it (rolled back)."""
    if not form.validate_on_submit():
        return page(422 if form.is_submitted() else 200)
    try:
        done = commit_racing(do)
    except ACTION_ERRORS as exc:
        db.session.rollback()
        add_errors(form, exc)
        return page(exc.status)
    flash(done, "success")
    return redirect(back)
