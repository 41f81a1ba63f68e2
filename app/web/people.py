"""People: a member's page (what their @mentions link to) and the admin's account management."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request, url_for
from werkzeug.wrappers import Response

from app import permissions
from app.models import Role, User
from app.routing import id_arg
from app.services import people
from app.web.account_forms import SearchForm
from app.web.actions import require_user, run_action
from app.web.blueprint import bp, viewer
from app.web.forms import ActionForm, RoleForm

RECENT = 20


@bp.get("/people/<username>")
def person(username: str) -> str:
    """Who a member is and their latest notes that the viewer may see."""
    user = people.get_person(username)
    notes = people.recent_notes(viewer(), user, RECENT)
    return render_template("people/person.html", person=user, notes=notes)


def _require_admin() -> User:
    user: User = require_user()
    if not permissions.can_manage_people(user):
        abort(403)
    return user


@bp.get("/admin/people")
def admin_people() -> str:
    admin = _require_admin()
    form = SearchForm(request.args)
    query = (form.q.data or "").strip()[:100]
    after = id_arg("after")
    found = people.search_users(admin, query, people.PAGE + 1, after)
    more = len(found) > people.PAGE
    found = found[: people.PAGE]
    older = url_for("web.admin_people", q=query or None, after=found[-1].id) if more else None
    return render_template(
        "people/admin.html", form=form, users=found, more_url=older, roles=list(Role),
        action_form=ActionForm(),
    )  # fmt: skip


def _back() -> str:
    return url_for("web.admin_people", q=request.args.get("q") or None)


@bp.post("/admin/people/<username>/role")
def admin_set_role(username: str) -> Response:
    admin, subject = _require_admin(), people.get_person(username)
    form = RoleForm()

    def change() -> str:
        people.set_role(admin, subject, form.role.data or "")
        return f"{subject.username}'s role is now {subject.role}."

    return run_action(form, change, _back())


@bp.post("/admin/people/<username>/disable")
def admin_disable(username: str) -> Response:
    admin, subject = _require_admin(), people.get_person(username)

    def disable() -> str:
        people.disable_account(admin, subject)
        return f"{subject.username} is disabled and signed out everywhere; their notes stay."

    return run_action(ActionForm(), disable, _back())


@bp.post("/admin/people/<username>/enable")
def admin_enable(username: str) -> Response:
    admin, subject = _require_admin(), people.get_person(username)

    def enable() -> str:
        people.enable_account(admin, subject)
        return f"{subject.username} can sign in again."

    return run_action(ActionForm(), enable, _back())


@bp.post("/admin/people/<username>/reset")
def admin_send_reset(username: str) -> Response:
    admin, subject = _require_admin(), people.get_person(username)

    def send() -> str:
        people.send_reset_link(admin, subject)
        return f"A reset link is on its way to {subject.username}'s confirmed address."

    return run_action(ActionForm(), send, _back())


@bp.get("/admin/audit")
def admin_audit() -> Any:
    admin = _require_admin()
    before = id_arg("before")
    entries = people.audit_log(admin, people.PAGE + 1, before)
    more = len(entries) > people.PAGE
    entries = entries[: people.PAGE]
    older = url_for("web.admin_audit", before=entries[-1].id) if more else None
    return render_template("people/audit.html", entries=entries, older=older)
