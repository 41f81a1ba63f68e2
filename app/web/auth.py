"""Signing in, signing out and registering, through CSRF-protected HTML forms."""

from __future__ import annotations

from typing import Any

from flask import flash, make_response, redirect, render_template, session, url_for
from flask_login import logout_user
from werkzeug.wrappers import Response

from app import sessions, throttle
from app.database import commit_racing
from app.extensions import db, limiter
from app.models import User
from app.services import accounts, users
from app.services.errors import Conflict, ValidationFailed
from app.web.blueprint import bp, viewer
from app.web.forms import LoginForm, RegisterForm, add_errors
from app.web.present import safe_next


def _start_session(user: User, remember: bool) -> None:
    # A fresh session at sign-in (a row per device; nothing planted before carries over), and
    # this browser becomes a known device of the account for the sign-in backoff.
    sessions.sign_in(user, remember=remember)
    throttle.remember_device(user.username)
    db.session.commit()


def _back(form: Any) -> Response:
    return redirect(safe_next(form.next.data) or url_for("web.index"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(throttle.LOGIN_RATE, methods=["POST"])
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data or ""
        if (wait := throttle.login_backoff(username)) is not None:
            return _too_many_tries(form, wait.retry_after)
        user = users.authenticate(username, form.password.data or "")
        if user is not None:
            throttle.clear_failed_logins(username)
            _start_session(user, remember=bool(form.remember.data))
            flash(f"Welcome back, {user.display_name}.", "success")
            return _back(form)
        throttle.record_failed_login(username)
        form.password.errors = ["That username and password do not match an account."]
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


def _too_many_tries(form: LoginForm, seconds: int) -> Response:
    minutes = max(1, round(seconds / 60))
    wait = f"{minutes} minute{'s' if minutes > 1 else ''}"
    form.password.errors = [f"Too many failed attempts. Wait {wait} and try again."]
    response = make_response(render_template("auth/login.html", form=form), 429)
    response.headers["Retry-After"] = str(seconds)
    return response


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(throttle.REGISTER_RATE, methods=["POST"])
def register() -> Any:
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            # One transaction: a refused address stores no account, and a twin request that
            # took the username first is answered "taken" (commit_racing).
            # Whether or not the address is someone else's, the page says the same: a mail
            # went to it (app/services/accounts.py decides which mail).
            user, address = commit_racing(
                lambda: accounts.register(
                    form.username.data or "",
                    form.password.data or "",
                    form.display_name.data,
                    form.email.data or "",
                )
            )
        except (ValidationFailed, Conflict) as exc:
            db.session.rollback()
            add_errors(form, exc)
        else:
            _start_session(user, remember=False)
            flash(
                f"Welcome, {user.display_name}. We mailed a link to {address} to confirm it. "
                "Select words in any paragraph to reply.",
                "success",
            )
            return _back(form)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/register.html", form=form), status


@bp.post("/logout")
def logout() -> Response:
    user = viewer()
    if isinstance(user, User):
        # Changing the session token ends this session and any remember-me cookie for good.
        users.end_sessions(user)
        db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("web.index"))
