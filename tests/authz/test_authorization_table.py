"""Every route × every actor → the status it must answer: the whole permission policy in a table.

A route that is not in the table fails `test_every_route_has_a_row`, so nothing ships without a
rule. Each row is run against a fresh world (see world.py) for each actor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from tests import factories
from tests.authz.accounts_rows import NEW_PASSWORD, confirm_path, reset_path, unsubscribe_path
from tests.authz.world import ACTORS, World, build_world, wipe_database
from tests.factories import PASSWORD

API = "/api/v1"
LOGIN = "login"  # a page that answers an anonymous write by sending the visitor to sign in


def _table(**statuses: Any) -> dict[str, Any]:
    assert set(statuses) == set(ACTORS), set(ACTORS) ^ set(statuses)
    return statuses


def everyone(status: Any) -> dict[str, Any]:
    return dict.fromkeys(ACTORS, status)


def signed_in(status: Any, anonymous: Any = 401) -> dict[str, Any]:
    return {**everyone(status), "anonymous": anonymous}


def managers(ok: Any, anonymous: Any = 401) -> dict[str, Any]:
    """The group's instructor and admins; members are refused, outsiders never learn of it."""
    return _table(
        anonymous=anonymous, member=403, author=403, other_member=404,
        instructor=ok, other_instructor=404, admin=ok, suspended=403,
    )  # fmt: skip


def group_readers(ok: Any, anonymous: Any = 404) -> dict[str, Any]:
    """Members, instructors and admins see the group's things; for others they do not exist."""
    return _table(
        anonymous=anonymous, member=ok, author=ok, other_member=404,
        instructor=ok, other_instructor=404, admin=ok, suspended=ok,
    )  # fmt: skip


@dataclass(frozen=True)
class Row:
    endpoint: str
    method: str
    path: Callable[[World], str]
    expect: dict[str, Any]
    json: Callable[[World], Any] | None = None
    form: Callable[[World], dict[str, str]] | None = None
    basic: bool = False  # send HTTP Basic credentials instead of a token

    @property
    def id(self) -> str:
        return f"{self.method} {self.endpoint}"


def note(w: World) -> int:
    return w.note.id


def _answer_to_question(w: World) -> int:
    """A member's reply to the author's question in the group: what "mark as the answer" acts on
    (the question's author and the group's moderators may mark it)."""
    from app.services.annotations import NewAnnotation, post_annotation

    question = post_annotation(
        w.users["author"], w.article,
        NewAnnotation("p2", "question", "Why?", group_slug=w.group.slug),
    )  # fmt: skip
    reply = post_annotation(
        w.users["member"],
        w.article,
        NewAnnotation("p2", "comment", "Because.", parent_id=question.id),
    )
    factories.db.session.commit()
    return reply.id


def _public_log_entry(w: World) -> int:
    """An admin's hide of a public note: an entry of the public discussion's log, made afresh."""
    from app.services.moderation import moderate_annotation

    public = factories.Factories.annotation(w.users["member"], w.article)
    entry = moderate_annotation(w.users["admin"], public, "hide", "Spam")
    factories.db.session.commit()
    return entry.id


G = "/groups/seminar"
ROWS: list[Row] = [
    # --- public reading ---------------------------------------------------------------------
    Row("health.healthz", "GET", lambda w: "/healthz", everyone(200)),
    Row("web.index", "GET", lambda w: "/", everyone(200)),
    Row("web.article", "GET", lambda w: "/articles/essay", everyone(200)),
    Row("web.block", "GET", lambda w: "/articles/essay/p/p2", everyone(200)),
    Row("web.article_version", "GET", lambda w: "/articles/essay/version", everyone(200)),
    Row("web.article_overview", "GET", lambda w: "/articles/essay/overview", everyone(200)),
    Row("web.article_notes", "GET", lambda w: "/articles/essay/notes", everyone(200)),
    Row("web.login", "GET", lambda w: "/login", everyone(200)),
    Row(
        "web.login",
        "POST",
        lambda w: "/login",
        everyone(302),
        form=lambda w: {"username": "member", "password": PASSWORD},
    ),
    Row("web.register", "GET", lambda w: "/register", everyone(200)),
    Row(
        "web.register",
        "POST",
        lambda w: "/register",
        everyone(302),
        form=lambda w: {
            "username": "newcomer",
            "display_name": "New",
            "email": "newcomer@example.edu",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    ),
    Row(
        "web.logout", "POST", lambda w: "/logout", signed_in(302, anonymous=302), form=lambda w: {}
    ),
    Row("api.openapi.openapi_document", "GET", lambda w: f"{API}/openapi.json", everyone(200)),
    Row("api.articles.list_articles", "GET", lambda w: f"{API}/articles", everyone(200)),
    Row("api.articles.get_article", "GET", lambda w: f"{API}/articles/essay", everyone(200)),
    Row(
        "api.annotations.list_annotations",
        "GET",
        lambda w: f"{API}/articles/essay/annotations",
        everyone(200),
    ),
    Row("api.search.search_annotations", "GET", lambda w: f"{API}/search?q=note", everyone(200)),
    # --- accounts and tokens ----------------------------------------------------------------
    Row("api.me.me", "GET", lambda w: f"{API}/me", signed_in(200)),
    Row("api.tokens.issue_token", "POST", lambda w: f"{API}/tokens", signed_in(201), basic=True),
    Row("api.tokens.revoke_token", "DELETE", lambda w: f"{API}/tokens", signed_in(204)),
    # --- one group annotation ---------------------------------------------------------------
    Row("web.annotation", "GET", lambda w: f"/annotations/{note(w)}", group_readers(302)),
    Row(
        "web.edit_annotation",
        "POST",
        lambda w: f"/annotations/{note(w)}/edit",
        _table(
            anonymous=LOGIN,
            member=403,
            author=302,
            other_member=404,
            instructor=403,
            other_instructor=404,
            admin=403,
            suspended=403,
        ),
        form=lambda w: {"body": "Edited.", "kind": "question"},
    ),
    Row(
        "web.delete_annotation",
        "POST",
        lambda w: f"/annotations/{note(w)}/delete",
        _table(
            anonymous=LOGIN,
            member=403,
            author=302,
            other_member=404,
            instructor=302,
            other_instructor=404,
            admin=302,
            suspended=403,
        ),
        form=lambda w: {},
    ),
    Row(
        "web.post_annotation",
        "POST",
        lambda w: "/articles/essay/p/p2/annotations",
        signed_in(302, anonymous=LOGIN),
        form=lambda w: {"kind": "comment", "body": "A public thought."},
    ),
    Row(
        "api.annotations.get_annotation",
        "GET",
        lambda w: f"{API}/annotations/{note(w)}",
        group_readers(200),
    ),
    Row(
        "api.annotations.edit_annotation",
        "PATCH",
        lambda w: f"{API}/annotations/{note(w)}",
        _table(
            anonymous=401,
            member=403,
            author=200,
            other_member=404,
            instructor=403,
            other_instructor=404,
            admin=403,
            suspended=403,
        ),
        json=lambda w: {"body": "Edited."},
    ),
    Row(
        "api.annotations.delete_annotation",
        "DELETE",
        lambda w: f"{API}/annotations/{note(w)}",
        _table(
            anonymous=401,
            member=403,
            author=204,
            other_member=404,
            instructor=204,
            other_instructor=404,
            admin=204,
            suspended=403,
        ),
    ),
    Row(
        "api.annotations.post_annotation",
        "POST",
        lambda w: f"{API}/articles/essay/annotations",
        _table(
            anonymous=401,
            member=201,
            author=201,
            other_member=422,
            instructor=201,
            other_instructor=422,
            admin=422,
            suspended=403,
        ),
        json=lambda w: {"anchor": "p2", "kind": "comment", "body": "Hi.", "group": "seminar"},
    ),
    Row(
        "api.moderation.flag_annotation",
        "POST",
        lambda w: f"{API}/annotations/{note(w)}/flags",
        {**group_readers(201, anonymous=401), "author": 403},
        json=lambda w: {"reason": "spam"},
    ),
    Row(
        "api.annotations.mark_helpful",
        "POST",
        lambda w: f"{API}/annotations/{note(w)}/helpful",
        {**group_readers(200, anonymous=401), "author": 403},
    ),
    Row(
        "api.annotations.unmark_helpful",
        "DELETE",
        lambda w: f"{API}/annotations/{note(w)}/helpful",
        group_readers(200, anonymous=401),
    ),
    Row(
        "api.moderation.moderate_annotation",
        "POST",
        lambda w: f"{API}/annotations/{note(w)}/moderation",
        managers(200),
        json=lambda w: {"action": "lock", "reason": "Cooling off."},
    ),
    Row(
        "api.feedback.give_feedback",
        "POST",
        lambda w: f"{API}/annotations/{note(w)}/feedback",
        managers(201),
        json=lambda w: {"body": "Cite a source."},
    ),
    Row(
        "api.feedback.list_feedback",
        "GET",
        lambda w: f"{API}/annotations/{note(w)}/feedback",
        {**managers(200), "author": 200},
    ),
    # --- groups -----------------------------------------------------------------------------
    Row("api.groups.list_groups", "GET", lambda w: f"{API}/groups", signed_in(200)),
    Row(
        "api.groups.create_group",
        "POST",
        lambda w: f"{API}/groups",
        _table(
            anonymous=401,
            member=403,
            author=403,
            other_member=403,
            instructor=201,
            other_instructor=201,
            admin=201,
            suspended=403,
        ),
        json=lambda w: {"name": "New group"},
    ),
    Row(
        "api.groups.join_group",
        "POST",
        lambda w: f"{API}/groups/join",
        signed_in(200),
        json=lambda w: {"join_code": w.group.join_code},
    ),
    Row("api.groups.get_group", "GET", lambda w: f"{API}{G}", group_readers(200)),
    # --- class insight and exports (issue 10) ----------------------------------------------
    Row("api.insight.participation", "GET", lambda w: f"{API}{G}/participation", managers(200)),
    Row("api.insight.gradebook", "GET", lambda w: f"{API}{G}/export.csv", managers(200)),
    Row(
        "api.insight.annotations_csv",
        "GET",
        lambda w: f"{API}/articles/essay/annotations.csv?group=seminar",
        managers(200),
    ),
    Row(
        "api.insight.annotations_json",
        "GET",
        lambda w: f"{API}/articles/essay/annotations.json?group=seminar",
        managers(200),
    ),
    Row(
        "api.insight.annotations_jsonld",
        "GET",
        lambda w: f"{API}/articles/essay/annotations.jsonld?group=seminar",
        group_readers(200),
    ),
    Row(
        "api.insight.import_jsonld",
        "POST",
        lambda w: f"{API}/articles/essay/annotations.jsonld?group=seminar",
        {**managers(201), "admin": 403},  # a group's notes are written by its members
        json=lambda w: {
            "type": "Annotation",
            "bodyValue": "Imported.",
            "target": {
                "source": "http://localhost/articles/essay",
                "selector": {"type": "FragmentSelector", "value": "p2"},
            },
        },
    ),
    Row(
        "api.groups.update_group",
        "PATCH",
        lambda w: f"{API}{G}",
        managers(200),
        json=lambda w: {"name": "Renamed"},
    ),
    Row(
        "api.groups.assign_reading",
        "POST",
        lambda w: f"{API}{G}/articles",
        managers(201),
        json=lambda w: {"article": "other-essay"},
    ),
    Row(
        "api.groups.unassign_reading",
        "DELETE",
        lambda w: f"{API}{G}/articles/essay",
        managers(204),
    ),
    Row(
        "api.groups.regenerate_join_code",
        "POST",
        lambda w: f"{API}{G}/join-code",
        managers(200),
    ),
    Row(
        "api.groups.leave_group",
        "POST",
        lambda w: f"{API}{G}/leave",
        _table(
            anonymous=401,
            member=204,
            author=204,
            other_member=404,
            instructor=409,
            other_instructor=404,
            admin=404,
            suspended=204,
        ),
    ),
    Row(
        "api.groups.update_member",
        "PATCH",
        lambda w: f"{API}{G}/members/pupil",
        managers(200),
        json=lambda w: {"role": "instructor"},
    ),
    Row(
        "api.groups.remove_member",
        "DELETE",
        lambda w: f"{API}{G}/members/pupil",
        managers(204),
    ),
    Row(
        "api.groups.restore_member",
        "POST",
        lambda w: f"{API}{G}/members/pupil/restore",
        managers(409),  # allowed, but pupil was never removed
    ),
    Row(
        "api.moderation.suspend_member",
        "POST",
        lambda w: f"{API}{G}/members/pupil/suspension",
        managers(201),
        json=lambda w: {"days": 2, "reason": "Cool off."},
    ),
    Row(
        "api.moderation.unsuspend_member",
        "DELETE",
        lambda w: f"{API}{G}/members/suspended/suspension",
        managers(204),
    ),
    Row(
        "api.moderation.moderation_queue",
        "GET",
        lambda w: f"{API}{G}/moderation/queue",
        managers(200),
    ),
    Row(
        "api.moderation.moderation_log",
        "GET",
        lambda w: f"{API}{G}/moderation/log",
        managers(200),
    ),
    Row(
        "api.moderation.public_moderation_log",
        "GET",
        lambda w: f"{API}/moderation/log",
        {**signed_in(403), "admin": 200},
    ),
    # --- notifications ----------------------------------------------------------------------
    Row(
        "api.notifications.list_notifications",
        "GET",
        lambda w: f"{API}/notifications",
        signed_in(200),
    ),
    Row(
        "api.notifications.count_notifications",
        "GET",
        lambda w: f"{API}/notifications/count",
        signed_in(200),
    ),
    Row(
        "api.notifications.mark_read",
        "POST",
        lambda w: f"{API}/notifications/read",
        signed_in(200),
        json=lambda w: {},
    ),
]

WEB_ROWS: list[Row] = [
    # --- account ----------------------------------------------------------------------------
    Row("web.account", "GET", lambda w: "/account", signed_in(200, anonymous=LOGIN)),
    Row(
        "web.change_password",
        "POST",
        lambda w: "/account/password",
        signed_in(302, anonymous=LOGIN),
        form=lambda w: {
            "current_password": PASSWORD,
            "new_password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    ),
    Row(
        "web.end_device_session",
        "POST",
        lambda w: f"/account/sessions/{factories.device_session(w.users['member'])}/end",
        {**signed_in(404, anonymous=LOGIN), "member": 302},  # one's own sessions alone
        form=lambda w: {},
    ),
    # --- acting on one group annotation -----------------------------------------------------
    Row(
        "web.flag_annotation",
        "GET",
        lambda w: f"/annotations/{note(w)}/flag",
        {**group_readers(200, anonymous=LOGIN), "author": 403},
    ),
    Row(
        "web.flag_annotation",
        "POST",
        lambda w: f"/annotations/{note(w)}/flag",
        {**group_readers(302, anonymous=LOGIN), "author": 403},
        form=lambda w: {"reason": "spam"},
    ),
    Row(
        "web.mark_helpful",
        "POST",
        lambda w: f"/annotations/{note(w)}/helpful",
        {**group_readers(302, anonymous=LOGIN), "author": 403},
    ),
    # The world's note answers no question: refused with a message (who may is in
    # tests/functional/web/test_debate_pages.py).
    Row(
        "web.mark_answer",
        "POST",
        lambda w: f"/annotations/{_answer_to_question(w)}/answer",
        _table(
            anonymous=LOGIN,
            member=403,
            author=302,
            other_member=404,
            instructor=302,
            other_instructor=404,
            admin=302,
            suspended=403,
        ),
    ),
    Row(
        "web.moderate_annotation",
        "POST",
        lambda w: f"/annotations/{note(w)}/moderate",
        managers(302, anonymous=LOGIN),
        form=lambda w: {"action": "lock", "reason": "Calm."},
    ),
    Row(
        "web.give_feedback",
        "GET",
        lambda w: f"/annotations/{note(w)}/feedback",
        managers(200, anonymous=LOGIN),
    ),
    Row(
        "web.give_feedback",
        "POST",
        lambda w: f"/annotations/{note(w)}/feedback",
        managers(302, anonymous=LOGIN),
        form=lambda w: {"body": "Well argued."},
    ),
    # --- groups -----------------------------------------------------------------------------
    Row("web.groups", "GET", lambda w: "/groups", signed_in(200, anonymous=LOGIN)),
    Row(
        "web.create_group",
        "GET",
        lambda w: "/groups/new",
        _table(
            anonymous=LOGIN,
            member=403,
            author=403,
            other_member=403,
            instructor=200,
            other_instructor=200,
            admin=200,
            suspended=403,
        ),
    ),
    Row(
        "web.create_group",
        "POST",
        lambda w: "/groups/new",
        _table(
            anonymous=LOGIN,
            member=403,
            author=403,
            other_member=403,
            instructor=302,
            other_instructor=302,
            admin=302,
            suspended=403,
        ),
        form=lambda w: {"name": "Evening class"},
    ),
    Row("web.join_group", "GET", lambda w: "/groups/join", signed_in(200, anonymous=LOGIN)),
    Row(
        "web.join_group",
        "POST",
        lambda w: "/groups/join",
        signed_in(302, anonymous=LOGIN),
        form=lambda w: {"join_code": w.group.join_code},
    ),
    Row(
        "web.invite",
        "GET",
        lambda w: f"/groups/join/{w.group.join_code}",
        everyone(200),  # the landing page: whoever holds the link is invited
    ),
    Row(
        "web.invite",
        "POST",
        lambda w: f"/groups/join/{w.group.join_code}",
        signed_in(302, anonymous=LOGIN),
        form=lambda w: {},
    ),
    Row("web.group", "GET", lambda w: G, group_readers(200, anonymous=LOGIN)),
    Row("web.insight_page", "GET", lambda w: f"{G}/insight", managers(200, anonymous=LOGIN)),
    Row(
        "web.member_work",
        "GET",
        lambda w: f"{G}/members/author/work",
        managers(200, anonymous=LOGIN),
    ),
    Row("web.search_page", "GET", lambda w: "/search?q=note", everyone(200)),
    Row(
        "web.print_article",
        "GET",
        lambda w: "/articles/essay/print?group=seminar",
        group_readers(200),
    ),
    Row(
        "web.leave_group",
        "POST",
        lambda w: f"{G}/leave",
        _table(
            anonymous=LOGIN,
            member=302,
            author=302,
            other_member=404,
            instructor=302,  # refused, with the reason on the group page
            other_instructor=404,
            admin=404,
            suspended=302,
        ),
        form=lambda w: {},
    ),
    Row(
        "web.archive_group",
        "POST",
        lambda w: f"{G}/archive",
        managers(302, anonymous=LOGIN),
        form=lambda w: {"archived": "1"},
    ),
    Row(
        "web.regenerate_code",
        "POST",
        lambda w: f"{G}/code",
        managers(302, anonymous=LOGIN),
        form=lambda w: {},
    ),
    Row(
        "web.set_premoderation",
        "POST",
        lambda w: f"{G}/premoderation",
        managers(302, anonymous=LOGIN),
        form=lambda w: {"mode": "all", "posts": "3"},
    ),
    Row(
        "web.assign_reading",
        "POST",
        lambda w: f"{G}/readings",
        managers(302, anonymous=LOGIN),
        form=lambda w: {"article": "other-essay"},
    ),
    Row(
        "web.unassign_reading",
        "POST",
        lambda w: f"{G}/readings/essay/unassign",
        managers(302, anonymous=LOGIN),
        form=lambda w: {},
    ),
    Row(
        "web.set_member_role",
        "POST",
        lambda w: f"{G}/members/pupil/role",
        managers(302, anonymous=LOGIN),
        form=lambda w: {"role": "instructor"},
    ),
    Row(
        "web.remove_member",
        "POST",
        lambda w: f"{G}/members/pupil/remove",
        managers(302, anonymous=LOGIN),
        form=lambda w: {"reason": "Spam."},
    ),
    Row(
        "web.restore_member",
        "POST",
        lambda w: f"{G}/members/pupil/restore",
        managers(302, anonymous=LOGIN),
        form=lambda w: {},  # the page says pupil was never removed
    ),
    Row(
        "web.suspend_member",
        "POST",
        lambda w: f"{G}/members/pupil/suspend",
        managers(302, anonymous=LOGIN),
        form=lambda w: {"days": "2", "reason": "Calm."},
    ),
    Row(
        "web.unsuspend_member",
        "POST",
        lambda w: f"{G}/members/suspended/unsuspend",
        managers(302, anonymous=LOGIN),
        form=lambda w: {},
    ),
    # --- moderation -------------------------------------------------------------------------
    Row(
        "web.moderation_queue",
        "GET",
        lambda w: f"{G}/moderation",
        managers(200, anonymous=LOGIN),
    ),
    Row(
        "web.moderation_log",
        "GET",
        lambda w: f"{G}/moderation/log",
        managers(200, anonymous=LOGIN),
    ),
    Row(
        "web.undo_moderation",
        "POST",
        lambda w: f"{G}/moderation/log/{w.log_entry_id}/undo",
        managers(302, anonymous=LOGIN),
        form=lambda w: {},
    ),
    Row(
        "web.public_queue",
        "GET",
        lambda w: "/moderation/public",
        {**signed_in(403, anonymous=LOGIN), "admin": 200},
    ),
    Row(
        "web.public_moderation_log",
        "GET",
        lambda w: "/moderation/public/log",
        {**signed_in(403, anonymous=LOGIN), "admin": 200},
    ),
    Row(
        "web.undo_public_moderation",
        "POST",
        lambda w: f"/moderation/public/log/{_public_log_entry(w)}/undo",
        {**signed_in(403, anonymous=LOGIN), "admin": 302},
        form=lambda w: {},
    ),
    # --- notifications ----------------------------------------------------------------------
    Row("web.notifications", "GET", lambda w: "/notifications", signed_in(200, anonymous=LOGIN)),
    Row(
        "web.open_notification",
        "GET",
        lambda w: f"/notifications/{w.notification_id}",
        {**signed_in(404, anonymous=LOGIN), "author": 302},
    ),
    Row(
        "web.mark_notifications_read",
        "POST",
        lambda w: "/notifications/read",
        signed_in(302, anonymous=LOGIN),
        form=lambda w: {},
    ),
]
ROWS += WEB_ROWS


def site_admins(ok: Any, anonymous: Any = 401) -> dict[str, Any]:
    return {**signed_in(403, anonymous), "admin": ok}


ACCOUNT_ROWS: list[Row] = [
    # --- accounts and mail (issue 13) -----------------------------------------------------
    # --- your own data ----------------------------------------------------------------------
    Row("web.profile", "GET", lambda w: "/account/profile", signed_in(200, anonymous=LOGIN)),
    Row("web.change_profile", "POST", lambda w: "/account/profile",
         signed_in(302, anonymous=LOGIN), form=lambda w: {"display_name": "Renamed"}),
    Row("web.change_email", "POST", lambda w: "/account/email",
         signed_in(302, anonymous=LOGIN), form=lambda w: {"email": "new@example.edu"}),
    Row("web.mail_settings", "GET", lambda w: "/account/mail", signed_in(200, anonymous=LOGIN)),
    Row("web.mail_settings", "POST", lambda w: "/account/mail",
         signed_in(302, anonymous=LOGIN), form=lambda w: {"kind-reply": "never"}),
    Row("web.export_data", "GET", lambda w: "/account/export", signed_in(200, anonymous=LOGIN)),
    Row("web.export_annotations", "GET", lambda w: "/account/export.jsonld",
         signed_in(200, anonymous=LOGIN)),
    Row("web.delete_account", "GET", lambda w: "/account/delete",
         signed_in(200, anonymous=LOGIN)),
    # The only admin may not delete the account: someone must be left to run the site.
    Row("web.delete_account", "POST", lambda w: "/account/delete",
         {**signed_in(302, anonymous=LOGIN), "admin": 422},
         form=lambda w: {"password": PASSWORD}),
    Row("api.me.export_me", "GET", lambda w: f"{API}/me/export", signed_in(200)),
    Row("api.me.export_me_jsonld", "GET", lambda w: f"{API}/me/export.jsonld", signed_in(200)),
    Row("api.me.delete_me", "DELETE", lambda w: f"{API}/me", {**signed_in(204), "admin": 409},
         json=lambda w: {"password": PASSWORD}),
    # --- links mailed to a member: the signed token is the credential -----------------------
    Row("web.unsubscribe", "GET", unsubscribe_path, everyone(200)),
    Row("web.unsubscribe", "POST", unsubscribe_path, everyone(200), form=lambda w: {}),
    Row("web.forgot_password", "GET", lambda w: "/password/forgot", everyone(200)),
    Row("web.forgot_password", "POST", lambda w: "/password/forgot", everyone(302),
         form=lambda w: {"email": "nobody@example.edu"}),
    # The pupil's link: anyone signed in as someone else is refused it.
    Row("web.reset_password", "GET", reset_path, signed_in(403, anonymous=200)),
    Row("web.reset_password", "POST", reset_path, signed_in(403, anonymous=302),
         form=lambda w: NEW_PASSWORD),
    Row("web.confirm_email", "GET", confirm_path, everyone(200)),
    Row("web.confirm_email", "POST", confirm_path, signed_in(403, anonymous=400),
        form=lambda w: {}),
    # --- people -----------------------------------------------------------------------------
    Row("web.person", "GET", lambda w: "/people/author", everyone(200)),
    Row("web.admin_people", "GET", lambda w: "/admin/people", site_admins(200, anonymous=LOGIN)),
    Row("web.admin_audit", "GET", lambda w: "/admin/audit", site_admins(200, anonymous=LOGIN)),
    Row("web.admin_set_role", "POST", lambda w: "/admin/people/pupil/role",
         site_admins(302, anonymous=LOGIN), form=lambda w: {"role": "instructor"}),
    Row("web.admin_disable", "POST", lambda w: "/admin/people/pupil/disable",
         site_admins(302, anonymous=LOGIN), form=lambda w: {}),
    Row("web.admin_enable", "POST", lambda w: "/admin/people/pupil/enable",
         site_admins(302, anonymous=LOGIN), form=lambda w: {}),
    Row("web.admin_send_reset", "POST", lambda w: "/admin/people/pupil/reset",
         site_admins(302, anonymous=LOGIN), form=lambda w: {}),
    Row("api.people.list_users", "GET", lambda w: f"{API}/users?q=pu", site_admins(200)),
    Row("api.people.update_user", "PATCH", lambda w: f"{API}/users/pupil", site_admins(200),
         json=lambda w: {"role": "instructor"}),
    Row("api.people.mentionable", "GET", lambda w: f"{API}/people/mentionable?group=seminar&q=a",
         group_readers(200, anonymous=401)),
]  # fmt: skip
ROWS += ACCOUNT_ROWS


def site_instructors(ok: Any, anonymous: Any = 401) -> dict[str, Any]:
    """Accounts with the instructor or admin role, whatever their groups."""
    return _table(
        anonymous=anonymous, member=403, author=403, other_member=403,
        instructor=ok, other_instructor=ok, admin=ok, suspended=403,
    )  # fmt: skip


def article_owner(ok: Any, anonymous: Any = 401) -> dict[str, Any]:
    """The article's owner or an admin ("essay" was imported from the CLI: no owner)."""
    return {**everyone(403), "admin": ok, "anonymous": anonymous}


ESSAY_V2 = "# Essay\n\nThe first paragraph makes a claim.\n\nA new closing paragraph.\n"
READING_ROWS: list[Row] = [
    Row(
        "api.readings.add_article",
        "POST",
        lambda w: f"{API}/articles",
        site_instructors(201),
        json=lambda w: {"source": "# New\n\nA reading.", "markup": "md", "slug": "new-reading"},
    ),
    Row(
        "api.readings.revise_article",
        "POST",
        lambda w: f"{API}/articles/essay/revisions",
        article_owner(201),
        json=lambda w: {"source": ESSAY_V2, "markup": "md", "force": True},
    ),
    Row(
        "api.readings.list_revisions",
        "GET",
        lambda w: f"{API}/articles/essay/revisions",
        everyone(200),
    ),
    Row(
        "api.readings.article_health",
        "GET",
        lambda w: f"{API}/articles/essay/health",
        # Both groups read "essay": their instructors see its health.
        site_instructors(200) | {"anonymous": 401},
    ),
    Row(
        "api.readings.reattach_annotation",
        "POST",
        lambda w: f"{API}/annotations/{note(w)}/anchor",
        {**managers(200), "author": 200},
        json=lambda w: {"anchor": "p3"},
    ),
]
ROWS += READING_ROWS

NEW_SOURCE = {"source": "# New\n\nA reading.", "markup": "md"}
READING_PAGE_ROWS: list[Row] = [
    Row("web.new_article", "GET", lambda w: "/articles/new", site_instructors(200, LOGIN)),
    Row(
        "web.new_article",
        "POST",
        lambda w: "/articles/new",
        site_instructors(200, LOGIN),  # the preview: nothing is stored yet
        form=lambda w: NEW_SOURCE,
    ),
    Row(
        "web.publish_article",
        "POST",
        lambda w: "/articles/new/publish",
        site_instructors(302, LOGIN),
        form=lambda w: {**NEW_SOURCE, "title": "New", "slug": "new-reading", "step": "publish"},
    ),
    Row("web.edit_article", "GET", lambda w: "/articles/essay/edit", article_owner(200, LOGIN)),
    Row(
        "web.edit_article",
        "POST",
        lambda w: "/articles/essay/edit",
        article_owner(302, LOGIN),
        form=lambda w: {"source": ESSAY_V2, "markup": "md", "confirm": "y"},
    ),
    Row(
        "web.article_health",
        "GET",
        lambda w: "/articles/essay/health",
        site_instructors(200, LOGIN),
    ),
    Row(
        "web.reattach_annotation",
        "POST",
        lambda w: f"/annotations/{note(w)}/anchor",
        {**managers(302, LOGIN), "author": 302},
        form=lambda w: {"anchor": "p3"},
    ),
    Row("web.article_revisions", "GET", lambda w: "/articles/essay/revisions", everyone(200)),
    # The world's essay was imported before revisions were kept: there are none to compare.
    Row(
        "web.revision_diff",
        "GET",
        lambda w: "/articles/essay/revisions/diff?from=1&to=2",
        everyone(404),
    ),
]
ROWS += READING_PAGE_ROWS

IGNORED = {"static"}  # Flask's own static files


def test_every_route_has_a_row(app: Flask) -> None:
    """A new route (or method) with no row here fails: every route needs a stated rule."""
    routes = {
        f"{method} {rule.endpoint}"
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in IGNORED
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert routes == {row.id for row in ROWS}


def _request(client: Any, row: Row, world: World, actor: str) -> Any:
    headers: dict[str, str] = {}
    path = row.path(world)
    if path.startswith(API):
        if actor != "anonymous" and row.basic:
            client.environ_base["HTTP_AUTHORIZATION"] = ""
            user = world.users[actor]
            from tests.functional.api.conftest import basic

            headers.update(basic(user.username, PASSWORD))
        elif actor != "anonymous":
            headers["Authorization"] = f"Bearer {world.tokens[actor]}"
    elif actor != "anonymous":
        with client.session_transaction() as cookie:
            cookie["_user_id"] = factories.session_id(world.users[actor])
            cookie["_fresh"] = True
    body: dict[str, Any] = {}
    if row.json is not None:
        body["json"] = row.json(world)
    if row.form is not None:
        body["data"] = row.form(world)
    return client.open(path, method=row.method, headers=headers, **body)


def _answer(client: Any, row: Row, world: World, actor: str) -> Any:
    response = _request(client, row, world, actor)
    if response.status_code == 302 and "/login" in response.headers.get("Location", ""):
        return LOGIN if actor == "anonymous" else 302
    return response.status_code


def _refused(expected: Any) -> bool:
    """A refusal must change nothing, so refused actors can share one world."""
    return expected == LOGIN or int(expected) >= 400


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_route_answers_each_actor_as_the_policy_says(app: Flask, make: Any, row: Row) -> None:
    """Reads and refusals share one world; each write that succeeds gets a fresh one."""
    answers: dict[str, Any] = {}
    shared = None
    for actor in sorted(ACTORS, key=lambda a: not _refused(row.expect[a])):
        if shared is None or (row.method != "GET" and not _refused(row.expect[actor])):
            wipe_database()
            shared = build_world()
            make.article("other-essay")
        answers[actor] = _answer(app.test_client(), row, shared, actor)
    assert answers == row.expect
