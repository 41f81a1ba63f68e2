"""Forgotten passwords and confirming an address: the pages a mailed link opens."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from app import sessions
from app.extensions import db, limiter
from app.services import accounts
from app.services.errors import Conflict, Forbidden, ValidationFailed
from app.services.links import InvalidLink
from app.web.account_forms import ForgotForm, ResetForm
from app.web.blueprint import bp, viewer
from app.web.forms import ActionForm, add_errors

# Per address: enough for a class behind one network, too few to probe many addresses.
FORGOT_RATE = "10 per hour"
FORGOT_SENT = (
    "If an account has that address, a link to set a new password is on its way. "
    "It works once, within the hour."
)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(FORGOT_RATE, methods=["POST"])
def forgot_password() -> Any:
    form = ForgotForm()
    if form.validate_on_submit():
        try:
            accounts.request_password_reset(form.email.data or "")
        except ValidationFailed as exc:
            db.session.rollback()
            add_errors(form, exc)
        else:
            db.session.commit()
            # The same words whether or not the address has an account.
            flash(FORGOT_SENT, "info")
            return redirect(url_for("web.forgot_password"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/forgot.html", form=form), status


def _link_problem(exc: InvalidLink | Forbidden, status: int) -> tuple[str, int]:
    return render_template("auth/link_problem.html", message=exc.message), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(FORGOT_RATE, methods=["POST"])
def reset_password(token: str) -> Any:
    form = ResetForm()
    try:
        user = accounts.check_reset_link(viewer(), token)
    except InvalidLink as exc:
        return _link_problem(exc, 400)
    except Forbidden as exc:
        return _link_problem(exc, 403)
    if form.validate_on_submit():
        try:
            accounts.reset_password(viewer(), token, form.new_password.data or "")
        except ValidationFailed as exc:
            db.session.rollback()
            add_errors(form, exc)
        else:
            # The reset ended every session; this device starts a new, recorded one (a bare
            # login_user would name no session row and be signed out on the next request).
            sessions.sign_in(user, remember=False)
            db.session.commit()
            flash("Your password is set. Every other device is signed out.", "success")
            return redirect(url_for("web.index"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/reset.html", form=form, user=user), status


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str) -> Any:
    """GET shows a button, POST confirms: a mail scanner that follows links confirms nothing."""
    form = ActionForm()
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("auth/confirm.html", form=form, token=token)
    try:
        user = accounts.confirm_email(viewer(), token)
    except (InvalidLink, Conflict) as exc:
        db.session.rollback()
        return render_template("auth/link_problem.html", message=exc.message), 400
    except Forbidden as exc:
        return _link_problem(exc, 403)
    db.session.commit()
    flash(f"Thank you: {user.email} is confirmed.", "success")
    target = "web.account" if viewer().is_authenticated else "web.login"
    return redirect(url_for(target))
