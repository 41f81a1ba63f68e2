"""Reading groups' pages: my groups, create, join by code or invite link, one group, and the
instructors' forms that manage it (readings, members, suspensions, settings)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app import permissions, throttle
from app.database import commit_racing
from app.extensions import db, limiter
from app.links import public_url_for
from app.loaders import load_group, load_user
from app.models import Group, Premoderation
from app.models.base import utcnow
from app.services import groups, moderation, reading
from app.services.errors import Conflict, Forbidden, ValidationFailed
from app.web.actions import back_to, require_user, run_action
from app.web.blueprint import bp, viewer
from app.web.forms import (
    ActionForm,
    ArchiveForm,
    GroupForm,
    JoinForm,
    PremoderationForm,
    ReadingForm,
    ReasonForm,
    RoleForm,
    SuspendForm,
    add_errors,
)
from app.web.present import when

# A join code is a secret of 8 characters from 31: guessing one takes far more tries than this.
JOIN_RATE = "20 per minute; 200 per hour"
JOIN_ERRORS = (ValidationFailed, Conflict, Forbidden)


@bp.get("/groups", endpoint="groups")
def groups_page() -> str:
    user = require_user()
    return render_template(
        "groups/index.html",
        mine=groups.list_my_groups(user),
        can_create=permissions.can_create_group(user),
        create_form=GroupForm(formdata=None),
        join_form=JoinForm(formdata=None),
    )


@bp.route("/groups/new", methods=["GET", "POST"])
def create_group() -> Any:
    user = require_user()
    if request.method == "GET":
        permissions.ensure(permissions.can_create_group, user)  # the service decides a POST
    form = GroupForm()
    if form.validate_on_submit():
        try:
            slug, name = commit_racing(
                lambda: _named(groups.create_group(user, form.name.data or ""))
            )
        except ValidationFailed as exc:
            db.session.rollback()
            add_errors(form, exc)
        else:
            flash(f"{name} is ready: share its join code or invite link with the class.", "success")
            return redirect(url_for("web.group", slug=slug))
    return render_template("groups/new.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/groups/join", methods=["GET", "POST"])
@limiter.limit(JOIN_RATE, methods=["POST"], key_func=throttle.user_or_address)
def join_group() -> Any:
    user = require_user()
    form = JoinForm()
    if not form.validate_on_submit():
        return render_template("groups/join.html", form=form), 422 if form.is_submitted() else 200
    try:
        joined = commit_racing(lambda: _named(groups.join_group(user, form.join_code.data or "")))
    except JOIN_ERRORS as exc:
        db.session.rollback()
        add_errors(form, exc)
        return render_template("groups/join.html", form=form), exc.status
    return _joined(*joined)


@bp.route("/groups/join/<code>", methods=["GET", "POST"])
@limiter.limit(JOIN_RATE, key_func=throttle.user_or_address)
def invite(code: str) -> Any:
    """An invite link: the group's name and a Join button (signing in first if need be)."""
    try:
        group = groups.find_group_by_code(code)
    except ValidationFailed as exc:
        form = JoinForm(formdata=None, join_code=code)
        add_errors(form, exc)
        return render_template("groups/join.html", form=form), 404
    here = url_for("web.invite", code=code)
    form = ActionForm()
    if request.method == "GET" or not form.validate_on_submit():
        member = permissions.membership(viewer(), group.id)
        return render_template(
            "groups/invite.html", group=group, form=form, here=here, member=member
        )
    user = require_user(back_to=here)
    try:
        joined = commit_racing(lambda: _named(groups.join_group(user, code)))
    except JOIN_ERRORS as exc:
        db.session.rollback()
        return render_template(
            "groups/invite.html", group=group, form=form, here=here, error=exc.message
        ), exc.status
    return _joined(*joined)


def _named(group: Group) -> tuple[str, str]:
    """What the answer needs of a group, read before the commit expires it."""
    return group.slug, group.name


def _joined(slug: str, name: str) -> Response:
    flash(f"Welcome to {name}.", "success")
    return redirect(url_for("web.group", slug=slug))


@bp.get("/groups/<slug>")
def group(slug: str) -> str:
    user = require_user()
    group = load_group(slug)
    manage = permissions.can_moderate_group(user, group)
    return render_template(
        "groups/group.html",
        group=group,
        manage=manage,
        me=permissions.membership(user, group.id),
        members=groups.list_members(group),
        readings=groups.list_readings(group),
        removed=groups.list_removed_members(group) if manage else [],
        articles=reading.list_articles(user) if manage else [],
        now=utcnow(),
        invite_url=public_url_for("web.invite", code=group.join_code),
    )


# --- a member's own action ------------------------------------------------------------------


@bp.post("/groups/<slug>/leave")
def leave_group(slug: str) -> Response:
    user = require_user()
    group = load_group(slug)
    name = group.name

    def leave() -> str:
        groups.leave_group(user, group)
        return f"You left {name}. Its join code lets you back in."

    return run_action(ActionForm(), leave, url_for("web.groups"))


# --- the instructors' forms -------------------------------------------------------------------


def _managed(slug: str) -> tuple[Any, Group, str]:
    """The signed-in user, the group (404 unless they are in it) and its page."""
    user = require_user()
    group = load_group(slug)
    return user, group, url_for("web.group", slug=slug)


@bp.post("/groups/<slug>/code")
def regenerate_code(slug: str) -> Response:
    user, group, page = _managed(slug)

    def regenerate() -> str:
        code = groups.regenerate_join_code(user, group)
        return f"The new join code is {code}. The old code and invite link no longer work."

    return run_action(ActionForm(), regenerate, page + "#invite")


@bp.post("/groups/<slug>/readings")
def assign_reading(slug: str) -> Response:
    user, group, page = _managed(slug)
    form = ReadingForm()

    def assign() -> str:
        article = reading.get_article(form.article.data or "")
        title = article.title
        due = form.due_on.data
        groups.assign_reading(user, group, article, due)
        return f"“{title}” is assigned" + (f", due {due.day} {due:%b %Y}." if due else ".")

    return run_action(form, assign, page + "#readings")


@bp.post("/groups/<slug>/readings/<article_slug>/unassign")
def unassign_reading(slug: str, article_slug: str) -> Response:
    user, group, page = _managed(slug)

    def unassign() -> str:
        article = reading.get_article(article_slug)
        title = article.title
        groups.unassign_reading(user, group, article)
        return f"“{title}” is off the list. Its discussion stays; assigning it again shows it."

    return run_action(ActionForm(), unassign, page + "#readings")


@bp.post("/groups/<slug>/members/<username>/role")
def set_member_role(slug: str, username: str) -> Response:
    user, group, page = _managed(slug)
    form = RoleForm()

    def change() -> str:
        role = form.role.data or ""
        groups.set_member_role(user, group, username, role)
        return f"{username} is now " + ("an instructor." if role == "instructor" else "a member.")

    return run_action(form, change, page + "#members")


@bp.post("/groups/<slug>/members/<username>/remove")
def remove_member(slug: str, username: str) -> Response:
    user, group, page = _managed(slug)
    form = ReasonForm()

    def remove() -> str:
        groups.remove_member(user, group, username, form.reason.data)
        return f"{username} is removed from the group. Restore them from the list below."

    return run_action(form, remove, back_to(form, page + "#members"))


@bp.post("/groups/<slug>/members/<username>/restore")
def restore_member(slug: str, username: str) -> Response:
    user, group, page = _managed(slug)
    form = ActionForm()

    def restore() -> str:
        groups.restore_member(user, group, username)
        return f"{username} is a member again."

    return run_action(form, restore, back_to(form, page + "#members"))


@bp.post("/groups/<slug>/members/<username>/suspend")
def suspend_member(slug: str, username: str) -> Response:
    user, group, page = _managed(slug)
    form = SuspendForm()

    def suspend() -> str:
        member = load_user(username)
        until = utcnow() + timedelta(days=form.days.data or 0)
        moderation.suspend_member(user, group, member, until, form.reason.data)
        return f"{member.display_name} cannot post in {group.name} until {when(until)}."

    return run_action(form, suspend, back_to(form, page + "#members"))


@bp.post("/groups/<slug>/members/<username>/unsuspend")
def unsuspend_member(slug: str, username: str) -> Response:
    user, group, page = _managed(slug)
    form = ActionForm()

    def lift() -> str:
        member = load_user(username)
        moderation.unsuspend_member(user, group, member)
        return f"{member.display_name} may post again."

    return run_action(form, lift, back_to(form, page + "#members"))


@bp.post("/groups/<slug>/premoderation")
def set_premoderation(slug: str) -> Response:
    user, group, page = _managed(slug)
    form = PremoderationForm()

    def change() -> str:
        mode = form.mode.data or ""
        groups.set_premoderation(user, group, mode, form.posts.data)
        if mode == Premoderation.ALL:
            return "Every member’s posts now wait for an instructor’s approval."
        if mode == Premoderation.NEW_MEMBERS:
            n = group.premoderation_posts
            return f"Each member’s first {n} post{'s' if n != 1 else ''} wait for approval."
        return "Posts appear at once; none wait for approval."

    return run_action(form, change, page + "#settings")


@bp.post("/groups/<slug>/archive")
def archive_group(slug: str) -> Response:
    user, group, page = _managed(slug)
    form = ArchiveForm()

    def archive() -> str:
        archived = form.archived.data == "1"
        groups.set_archived(user, group, archived)
        if archived:
            return f"{group.name} is archived: its discussion is read-only and nobody can join."
        return f"{group.name} is open again."

    return run_action(form, archive, page + "#settings")
