"""Your own data: name and address, the mail you get, taking your notes, deleting the account."""

from __future__ import annotations

import json
from typing import Any

from flask import flash, make_response, redirect, render_template, request, session, url_for
from flask_login import logout_user
from werkzeug.wrappers import Response

from app import throttle
from app.extensions import csrf, db, limiter
from app.links import public_url_for
from app.models import MAIL_KINDS, MailChoice, User
from app.services import accounts, outbox, own_data, webanno
from app.services.errors import Conflict, ValidationFailed
from app.services.links import InvalidLink
from app.web.account_forms import DeleteAccountForm, EmailForm, ProfileForm
from app.web.actions import require_user
from app.web.blueprint import bp
from app.web.forms import ActionForm, add_errors

# POSTed from mail clients (RFC 8058) with no session or CSRF token: the signed link in the
# URL is the credential, so a forged or altered link is refused instead.
LINK_AUTHENTICATED = frozenset({"web.unsubscribe"})
CHOICE_LABELS = {
    MailChoice.IMMEDIATELY: "At once",
    MailChoice.DIGEST: "In a daily digest",
    MailChoice.NEVER: "Never",
}


def _profile_page(profile: ProfileForm, email: EmailForm, status: int = 200) -> Response:
    page = render_template("account/profile.html", profile=profile, email_form=email)
    return make_response(page, status)


@bp.get("/account/profile")
def profile() -> Response:
    user: User = require_user()
    return _profile_page(ProfileForm(display_name=user.display_name), EmailForm())


@bp.post("/account/profile")
def change_profile() -> Response:
    user: User = require_user()
    form = ProfileForm()
    if form.validate_on_submit():
        try:
            own_data.change_display_name(user, form.display_name.data or "")
        except ValidationFailed as exc:
            db.session.rollback()
            add_errors(form, exc)
        else:
            db.session.commit()
            flash("Your display name is changed.", "success")
            return redirect(url_for("web.profile"))
    return _profile_page(form, EmailForm(), 422)


@bp.post("/account/email")
@limiter.limit("10 per hour", key_func=throttle.user_or_address)
def change_email() -> Response:
    user: User = require_user()
    form = EmailForm()
    if form.validate_on_submit():
        try:
            address = accounts.request_email(user, form.email.data or "")
        except ValidationFailed as exc:
            db.session.rollback()
            add_errors(form, exc)
        else:
            db.session.commit()
            told = f"We mailed a link to {address}. Your address changes when you follow it."
            flash(told, "info")
            return redirect(url_for("web.profile"))
    return _profile_page(ProfileForm(display_name=user.display_name), form, 422)


@bp.route("/account/mail", methods=["GET", "POST"])
def mail_settings() -> Any:
    user: User = require_user()
    form = ActionForm()
    settings = outbox.settings_for(user)
    errors: dict[str, str] = {}
    if request.method == "POST" and form.validate_on_submit():
        # A kind left out keeps its choice; one sent must be a known choice.
        form_keys = {kind: f"kind-{kind}" for kind in MAIL_KINDS}
        wanted = {kind: request.form[key] for kind, key in form_keys.items() if key in request.form}
        try:
            outbox.set_choices(user, wanted)
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.fields
        else:
            db.session.commit()
            flash("Your mail choices are saved.", "success")
            return redirect(url_for("web.mail_settings"))
    page = render_template(
        "account/mail.html", form=form, settings=settings, kinds=MAIL_KINDS,
        choices=CHOICE_LABELS, errors=errors,
    )  # fmt: skip
    return page, 422 if errors else 200


def _inert_json(doc: Any, media: str) -> Response:
    body = json.dumps(doc, ensure_ascii=False, indent=2)
    # The same JSON, with no character a browser could ever take for markup (\u003c is "<").
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        body = body.replace(char, escaped)
    response = make_response(body)
    # Shown inline when opened; the account page's links carry `download` with a file name.
    response.headers["Content-Type"] = f"{media}; charset=utf-8"
    return response


@bp.get("/account/export")
def export_data() -> Response:
    user: User = require_user()
    return _inert_json(own_data.export_user_data(user), "application/json")


@bp.get("/account/export.jsonld")
def export_annotations() -> Response:
    """Every note the member wrote as W3C Web Annotations (as GET /api/v1/me/export.jsonld)."""
    user: User = require_user()
    site = webanno.Site(public_url_for("web.index"))
    collection = public_url_for("web.export_annotations")
    return _inert_json(webanno.authored_ld(user, site, collection), webanno.JSONLD)


@bp.route("/account/delete", methods=["GET", "POST"])
@limiter.limit(throttle.LOGIN_RATE, methods=["POST"], key_func=throttle.user_or_address)
def delete_account() -> Any:
    user: User = require_user()
    form = DeleteAccountForm()
    if form.validate_on_submit():
        # As on the password form: a stolen session is no way to guess the password.
        if (wait := throttle.login_backoff(user.username)) is not None:
            form.password.errors = ["Too many wrong passwords. Wait a while and try again."]
            page = render_template("account/delete.html", form=form)
            return page, 429, {"Retry-After": str(wait.retry_after)}
        try:
            own_data.delete_account(user, form.password.data or "")
        except (ValidationFailed, Conflict) as exc:
            db.session.rollback()
            if "password" in exc.fields:
                throttle.record_failed_login(user.username)
            add_errors(form, exc)
        else:
            db.session.commit()
            logout_user()
            session.clear()
            flash("Your account is deleted. Thank you for taking part.", "info")
            return redirect(url_for("web.index"))
    status = 422 if form.is_submitted() else 200
    return render_template("account/delete.html", form=form), status


@bp.route("/mail/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: a mail client POSTs here with no page; the signed token is the proof
def unsubscribe(token: str) -> Any:
    """GET asks (a link scanner changes nothing); POST, from the page or a mail client, acts."""
    try:
        user, kinds = outbox.read_unsubscribe(token)
    except InvalidLink as exc:
        return render_template("auth/link_problem.html", message=exc.message), 400
    labels = [MAIL_KINDS[k][0] for k in kinds]
    if request.method == "GET":
        return render_template("account/unsubscribe.html", token=token, labels=labels)
    outbox.unsubscribe(user, kinds)
    db.session.commit()
    return render_template("account/unsubscribe.html", token=token, labels=labels, done=True)
