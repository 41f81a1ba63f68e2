"""The account page: who you are, and changing your password (which signs out other devices)."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from app import sessions, throttle
from app.extensions import db, limiter
from app.models import User
from app.services import users
from app.services.errors import ValidationFailed
from app.web.blueprint import bp, viewer
from app.web.devices import sessions_context
from app.web.forms import PasswordForm, add_errors


@bp.get("/account")
@login_required
def account() -> str:
    return render_template("account/index.html", form=PasswordForm(), **sessions_context(viewer()))


@bp.post("/account/password")
# A stolen session must not become a way to guess the password: the same rate as signing in,
# and a wrong current password counts as a failed sign-in for the account.
@limiter.limit(throttle.LOGIN_RATE, key_func=throttle.user_or_address)
@login_required
def change_password() -> Any:
    user: User = viewer()
    form = PasswordForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    if (wait := throttle.login_backoff(user.username)) is not None:
        form.current_password.errors = ["Too many wrong passwords. Wait a while and try again."]
        return _page(form, 429, {"Retry-After": str(wait.retry_after)})
    try:
        users.change_password(user, form.current_password.data or "", form.new_password.data or "")
    except ValidationFailed as exc:
        db.session.rollback()
        if "current_password" in exc.fields:
            throttle.record_failed_login(user.username)
        add_errors(form, exc)
        return _page(form, 422)
    db.session.commit()
    _stay_signed_in_here(user)
    flash("Your password is changed. Every other device is signed out.", "success")
    return redirect(url_for("web.account"))


def _page(form: PasswordForm, status: int, headers: dict[str, str] | None = None) -> Response:
    page = render_template("account/index.html", form=form, **sessions_context(viewer()))
    response = make_response(page, status)
    response.headers.update(headers or {})
    return response


def _stay_signed_in_here(user: User) -> None:
    """change_password rotated the session token, ending every session: start this one again.

    A device that was remembered stays remembered, with a cookie carrying the new token.
    """
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    sessions.sign_in(user, remember=remembered)
    db.session.commit()
