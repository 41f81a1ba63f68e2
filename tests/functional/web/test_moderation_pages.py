"""Moderation from the pages: flags, a moderator's actions in reading context, the queue, the
log and its undo, suspensions, pre-moderation and private feedback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Annotation, Feedback, Flag, Membership, ModerationAction
from app.models.base import utcnow
from app.services import groups, moderation
from tests.functional.web.conftest import fresh
from tests.functional.web.page import parse


@pytest.fixture
def note(classroom, make):  # type: ignore[no-untyped-def]
    """Ann's note in the group's discussion of the second paragraph."""
    return make.groups.group_note(
        classroom.ann, classroom.article, classroom.group, body="A *bold* claim"
    )


def _in_group(classroom, anchor: str = "p2") -> str:  # type: ignore[no-untyped-def]
    return f"/articles/{classroom.article.slug}/p/{anchor}?group={classroom.group.slug}"


def _item(client, url: str, note_id: int):  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, url
    return parse(response.data).find(data_annotation_id=str(note_id))


def _flash(client, response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return parse(client.get(response.headers["Location"]).data).find(cls="flashes").text


def _queue(client, classroom):  # type: ignore[no-untyped-def]
    response = client.get(f"/groups/{classroom.group.slug}/moderation")
    assert response.status_code == 200
    return parse(response.data)


def _log(client, classroom):  # type: ignore[no-untyped-def]
    return parse(client.get(f"/groups/{classroom.group.slug}/moderation/log").data)


# --- flags -----------------------------------------------------------------------------------


def test_a_member_flags_a_note_once_and_twice_is_a_clear_error(classroom, note, signed_in) -> None:
    client = signed_in(classroom.bob)
    item = _item(client, _in_group(classroom), note.id)
    form = item.find("form", action=f"/annotations/{note.id}/flag")
    assert form.find("input", name="next").attrs["value"] == f"{_in_group(classroom)}#a-{note.id}"
    assert [o.attrs["value"] for o in form.find_all("option")] == [
        "off_topic", "disrespectful", "spam", "other",
    ]  # fmt: skip

    response = client.post(
        f"/annotations/{note.id}/flag",
        data={"reason": "off_topic", "details": "Not this week's topic",
              "next": f"{_in_group(classroom)}#a-{note.id}"},
    )  # fmt: skip
    assert response.headers["Location"] == f"{_in_group(classroom)}#a-{note.id}"
    assert "the instructors will take a look" in _flash(client, response)
    flag = db.session.scalars(select(Flag)).one()
    assert (flag.reason, flag.details, flag.user_id) == (
        "off_topic", "Not this week's topic", classroom.bob.id,
    )  # fmt: skip

    again = client.post(f"/annotations/{note.id}/flag", data={"reason": "spam"})
    assert again.status_code == 409
    assert (
        "You have already flagged this annotation." in parse(again.data).find(cls="form-error").text
    )
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 1


def test_flagging_for_something_else_needs_details_said_at_the_field(
    classroom, note, signed_in
) -> None:
    client = signed_in(classroom.bob)
    page = parse(client.get(f"/annotations/{note.id}/flag").data)
    assert page.find(data_annotation_id=str(note.id)).find(cls="annotation-body").text == (
        "A bold claim"
    )
    response = client.post(f"/annotations/{note.id}/flag", data={"reason": "other"})
    assert response.status_code == 422
    assert "Describe the problem." in parse(response.data).find(cls="has-error").text
    assert db.session.scalar(select(Flag.id)) is None


def test_nobody_flags_their_own_note_and_outsiders_cannot_find_it(
    classroom, note, signed_in, client
) -> None:
    own = signed_in(classroom.ann)
    assert not _item(own, _in_group(classroom), note.id).has(
        "form", action=f"/annotations/{note.id}/flag"
    )
    assert own.post(f"/annotations/{note.id}/flag", data={"reason": "spam"}).status_code == 403
    outside = signed_in(classroom.outsider)
    assert outside.post(f"/annotations/{note.id}/flag", data={"reason": "spam"}).status_code == 404
    response = client.post(f"/annotations/{note.id}/flag", data={"reason": "spam"})
    assert response.headers["Location"].startswith("/login?next=")


# --- a moderator's actions in reading context ------------------------------------------------


def test_instructors_get_moderation_controls_and_members_do_not(classroom, note, signed_in) -> None:
    item = _item(signed_in(classroom.teacher), _in_group(classroom), note.id)
    form = item.find("form", action=f"/annotations/{note.id}/moderate")
    assert [b.attrs["value"] for b in form.find_all("button", name="action")] == [
        "hide", "lock", "pin", "delete",
    ]  # fmt: skip
    assert form.find("input", name="reason")
    assert item.find("form", action=f"/annotations/{note.id}/feedback")
    assert not item.has("form", action=f"/annotations/{note.id}/flag")
    member = _item(signed_in(classroom.bob), _in_group(classroom), note.id)
    assert not member.has("form", action=f"/annotations/{note.id}/moderate")
    assert not member.has("form", action=f"/annotations/{note.id}/feedback")
    refused = signed_in(classroom.bob).post(
        f"/annotations/{note.id}/moderate", data={"action": "hide"}
    )
    assert refused.status_code == 403
    assert fresh(note.id).status == "visible"


def test_hiding_shows_the_author_the_reason_and_others_a_placeholder(
    classroom, note, signed_in
) -> None:
    teacher = signed_in(classroom.teacher)
    response = teacher.post(
        f"/annotations/{note.id}/moderate",
        data={"action": "hide", "reason": "Please stay on this week's reading"},
    )
    assert response.headers["Location"] == f"{_in_group(classroom)}#a-{note.id}"
    assert "Hidden." in _flash(teacher, response)
    assert fresh(note.id).status == "hidden"

    author = _item(signed_in(classroom.ann), _in_group(classroom), note.id)
    assert "A bold claim" in author.find(cls="annotation-body").text
    assert author.find(data_moderation_note="*").text.startswith(
        "Hidden by an instructor: Please stay on this week's reading"
    )
    other = _item(signed_in(classroom.bob), _in_group(classroom), note.id)
    assert other.find(cls="annotation-body").text == "[hidden by an instructor]"
    assert "stay on this week" not in other.text
    mod = _item(teacher, _in_group(classroom), note.id)
    assert "A bold claim" in mod.find(cls="annotation-body").text
    assert "Please stay on this week's reading" in mod.find(data_moderation_note="*").text


def test_a_pending_note_shows_to_its_author_as_awaiting_approval_and_not_to_others(
    classroom, make, signed_in
) -> None:
    groups.set_premoderation(classroom.teacher, classroom.group, "all")
    db.session.commit()
    held = make.groups.group_note(classroom.ann, classroom.article, classroom.group, body="Held")
    assert held.status == "pending"
    author = _item(signed_in(classroom.ann), _in_group(classroom), held.id)
    assert author.find(cls="status-badge--pending").text == "Awaiting approval"
    assert "Awaiting approval" in author.find(data_moderation_note="*").text
    page = signed_in(classroom.bob).get(_in_group(classroom)).get_data(as_text=True)
    assert f'data-annotation-id="{held.id}"' not in page
    mod = _item(signed_in(classroom.teacher), _in_group(classroom), held.id)
    approve = mod.find("button", name="action", value="approve")
    assert approve.text == "Approve"
    signed_in(classroom.teacher).post(
        f"/annotations/{held.id}/moderate", data={"action": "approve"}
    )
    assert (
        _item(signed_in(classroom.bob), _in_group(classroom), held.id)
        .find(cls="annotation-body")
        .text
        == "Held"
    )


def test_a_locked_thread_says_so_and_takes_no_replies(classroom, note, make, signed_in) -> None:
    reply = make.groups.group_note(classroom.bob, classroom.article, classroom.group, parent=note)
    signed_in(classroom.teacher).post(f"/annotations/{note.id}/moderate", data={"action": "lock"})
    client = signed_in(classroom.bob)
    page = parse(client.get(_in_group(classroom)).data)
    top = page.find(data_annotation_id=str(note.id))
    assert top.find(cls="status-badge--locked").text == "Locked"
    assert not page.has(data_reply_to=str(note.id))
    assert not page.has(data_reply_to=str(reply.id))  # the whole thread below is locked
    refused = client.post(
        f"/articles/{classroom.article.slug}/p/p2/annotations",
        data={"kind": "comment", "body": "One more", "parent": reply.id,
              "group": classroom.group.slug},
    )  # fmt: skip
    assert refused.status_code == 409
    assert "locked" in parse(refused.data).find(cls="form-error").text
    assert db.session.scalar(select(func.count()).select_from(Annotation)) == 2


def test_pinned_notes_come_first_as_the_instructors_pick(classroom, note, make, signed_in) -> None:
    later = make.groups.group_note(classroom.bob, classroom.article, classroom.group, body="Later")
    signed_in(classroom.teacher).post(f"/annotations/{later.id}/moderate", data={"action": "pin"})
    client = signed_in(classroom.ann)
    for url in (_in_group(classroom), f"/articles/{classroom.article.slug}?group=seminar"):
        page = parse(client.get(url).data)
        items = page.find("ol", data_threads_for="p2").find_all("li", data_annotation_id="*")
        assert [i.attrs["data-annotation-id"] for i in items] == [str(later.id), str(note.id)]
        assert items[0].find(cls="pick-badge").text == "Instructor’s pick"
        assert not items[1].has(cls="pick-badge")


@pytest.mark.parametrize(
    ("action", "undo", "check"),
    [
        ("hide", "unhide", lambda a: a.status == "hidden"),
        ("lock", "unlock", lambda a: a.locked),
        ("pin", "unpin", lambda a: a.pinned),
        ("delete", "restore", lambda a: a.status == "deleted"),
    ],
)
def test_each_action_is_logged_and_undone_from_the_log(
    classroom, note, signed_in, action, undo, check
) -> None:
    teacher = signed_in(classroom.teacher)
    teacher.post(f"/annotations/{note.id}/moderate", data={"action": action, "reason": "Because"})
    assert check(fresh(note.id))
    log = _log(teacher, classroom)
    entry = log.find("li", data_action=action)
    assert "Ms Teacher" in entry.find(cls="log-actor").text
    assert "Because" in entry.find(cls="log-reason").text
    assert entry.find(cls="log-previous").text
    assert entry.find(cls="log-target").attrs["href"] == f"/annotations/{note.id}"
    entry_id = entry.attrs["data-log-entry"]
    undo_url = f"/groups/{classroom.group.slug}/moderation/log/{entry_id}/undo"
    assert entry.find("form", action=undo_url)

    response = teacher.post(undo_url)
    assert response.headers["Location"] == f"/groups/{classroom.group.slug}/moderation/log"
    assert "Undone." in _flash(teacher, response)
    assert not check(fresh(note.id))
    log = _log(teacher, classroom)
    assert [e.attrs["data-action"] for e in log.find_all("li", data_log_entry="*")] == [
        undo,
        action,
    ]
    assert not log.find("li", data_action=action).has("form")  # nothing left to undo


def test_the_log_says_who_what_when_why_and_what_came_before(classroom, note, signed_in) -> None:
    teacher = signed_in(classroom.teacher)
    teacher.post(f"/annotations/{note.id}/moderate", data={"action": "hide", "reason": "Rude"})
    teacher.post("/groups/seminar/members/bob/suspend", data={"days": "2", "reason": "Spam"})
    entries = _log(teacher, classroom).find_all("li", data_log_entry="*")
    suspend, hide = entries
    assert "suspended" in suspend.find(cls="log-verb").text
    assert "Bob Reader" in suspend.find(cls="log-target").text
    assert "was not suspended" in suspend.find(cls="log-previous").text
    assert "hid" in hide.find(cls="log-verb").text
    assert "Ann Author’s comment" in hide.find(cls="log-target").text
    assert "A *bold* claim" in hide.find(cls="log-excerpt").text
    assert "was visible" in hide.find(cls="log-previous").text
    assert hide.find("time").attrs["datetime"].endswith("Z")


# --- the queue -------------------------------------------------------------------------------


def test_the_queue_is_empty_and_says_so(classroom, signed_in) -> None:
    page = _queue(signed_in(classroom.teacher), classroom)
    assert "The queue is clear." in page.find(data_queue_empty="*").text


def test_the_queue_shows_each_item_with_paragraph_thread_and_flags_oldest_first(
    classroom, note, make, signed_in
) -> None:
    reply = make.groups.group_note(
        classroom.bob, classroom.article, classroom.group, parent=note, body="Hm"
    )
    later = make.groups.group_note(classroom.bob, classroom.article, classroom.group, anchor="p3")
    signed_in(classroom.bob).post(
        f"/annotations/{note.id}/flag", data={"reason": "other", "details": "Insulting"}
    )
    signed_in(classroom.ann).post(f"/annotations/{later.id}/flag", data={"reason": "spam"})
    signed_in(classroom.ann).post(f"/annotations/{reply.id}/flag", data={"reason": "off_topic"})
    page = _queue(signed_in(classroom.teacher), classroom)
    items = page.find_all("li", data_queue_item="*")
    assert [i.attrs["data-queue-item"] for i in items] == [
        str(note.id),
        str(reply.id),
        str(later.id),
    ]
    first = items[0]
    assert "The first paragraph makes a claim" in first.find(cls="queue-paragraph").text
    thread = first.find("ol", cls="note-thread")
    assert thread.find(cls="is-target").attrs["data-annotation-id"] == str(note.id)
    nested = thread.find("ol", cls="note-thread--replies")
    assert nested.find(data_annotation_id=str(reply.id))
    flag = first.find("li", cls="flag")
    assert flag.find(cls="flag-reason").text == "Something else"
    assert flag.find(cls="flag-details").text == "Insulting"
    assert "Bob Reader" in flag.find(cls="flag-by").text
    buttons = [b.attrs["value"] for b in first.find("form", cls="queue-actions").find_all("button")]
    assert buttons == ["hide", "approve", "lock", "pin", "delete"]
    assert first.find("button", value="approve").text == "Keep"
    suspend = first.find("form", action="/groups/seminar/members/ann/suspend")
    assert suspend.find("input", name="next").attrs["value"] == "/groups/seminar/moderation"
    assert items[0].find("a", cls="queue-context").attrs["href"] == f"/annotations/{note.id}"


def test_acting_from_the_queue_returns_to_it_and_the_item_leaves(
    classroom, note, signed_in
) -> None:
    signed_in(classroom.bob).post(f"/annotations/{note.id}/flag", data={"reason": "spam"})
    teacher = signed_in(classroom.teacher)
    response = teacher.post(
        f"/annotations/{note.id}/moderate",
        data={"action": "approve", "next": "/groups/seminar/moderation"},
    )
    assert response.headers["Location"] == "/groups/seminar/moderation"
    assert "Kept: its flags are dismissed." in _flash(teacher, response)
    assert fresh(note.id).status == "visible"
    assert not _queue(teacher, classroom).has(data_queue_item=str(note.id))
    outside = teacher.post(
        f"/annotations/{note.id}/moderate", data={"action": "pin", "next": "https://evil.example/"}
    )
    assert outside.headers["Location"] == f"{_in_group(classroom)}#a-{note.id}"


def test_a_conflicting_action_is_explained_and_changes_nothing(classroom, note, signed_in) -> None:
    teacher = signed_in(classroom.teacher)
    response = teacher.post(f"/annotations/{note.id}/moderate", data={"action": "unhide"})
    assert "Cannot unhide an annotation that is visible." in _flash(teacher, response)
    assert not db.session.scalar(select(ModerationAction.id))


def test_suspending_the_author_from_the_queue_then_lifting_it_from_the_log(
    classroom, note, signed_in
) -> None:
    signed_in(classroom.bob).post(f"/annotations/{note.id}/flag", data={"reason": "spam"})
    teacher = signed_in(classroom.teacher)
    response = teacher.post(
        "/groups/seminar/members/ann/suspend",
        data={"days": "7", "reason": "Cool off", "next": "/groups/seminar/moderation"},
    )
    assert response.headers["Location"] == "/groups/seminar/moderation"
    assert "Ann Author cannot post in Seminar until" in _flash(teacher, response)
    entry = _log(teacher, classroom).find("li", data_action="suspend")
    teacher.post(entry.find("form").attrs["action"])
    db.session.expire_all()
    member = db.session.scalars(
        select(Membership).where(Membership.user_id == classroom.ann.id)
    ).one()
    assert member.suspended_until is None


def test_removing_a_member_is_undone_from_the_log(classroom, signed_in) -> None:
    teacher = signed_in(classroom.teacher)
    teacher.post("/groups/seminar/members/bob/remove", data={"reason": "Wrong class"})
    entry = _log(teacher, classroom).find("li", data_action="remove_member")
    assert "Wrong class" in entry.text
    teacher.post(entry.find("form").attrs["action"])
    assert signed_in(classroom.bob).get("/groups/seminar").status_code == 200


def test_members_cannot_see_the_queue_and_outsiders_cannot_find_it(classroom, signed_in) -> None:
    assert signed_in(classroom.ann).get("/groups/seminar/moderation").status_code == 403
    assert signed_in(classroom.outsider).get("/groups/seminar/moderation").status_code == 404
    assert signed_in(classroom.outsider).get("/groups/seminar/moderation/log").status_code == 404
    undo = signed_in(classroom.ann).post("/groups/seminar/moderation/log/1/undo")
    assert undo.status_code == 403
    assert signed_in(classroom.teacher).get("/moderation/public").status_code == 403


def test_an_admin_works_the_public_queue(classroom, make, signed_in) -> None:
    admin = make.user(role="admin")
    public = make.annotation(classroom.ann, classroom.article, body="Public words")
    signed_in(classroom.bob).post(f"/annotations/{public.id}/flag", data={"reason": "spam"})
    page = parse(signed_in(admin).get("/moderation/public").data)
    assert page.find("li", data_queue_item=str(public.id))
    assert not page.has("form", action="/groups/seminar/members/ann/suspend")


def test_the_queue_page_runs_the_same_queries_for_3_or_30_items(
    classroom, make, signed_in, count_queries
) -> None:
    teacher = signed_in(classroom.teacher)

    def flagged(n: int) -> None:
        for i in range(n):
            anchor = ("p2", "p3", "p4")[i % 3]
            note = make.groups.group_note(
                classroom.ann, classroom.article, classroom.group, anchor=anchor, body=f"n{i}"
            )
            make.groups.group_note(
                classroom.bob, classroom.article, classroom.group, anchor=anchor, parent=note
            )
            moderation.flag_annotation(classroom.bob, note, "spam", "again")
        db.session.commit()

    def statements() -> int:
        teacher.get("/groups/seminar/moderation")
        db.session.remove()
        with count_queries() as queries:
            page = parse(teacher.get("/groups/seminar/moderation").data)
        return len(queries), len(page.find_all("li", data_queue_item="*"))

    flagged(3)
    few = statements()
    flagged(27)
    many = statements()
    assert (few[1], many[1]) == (3, 30)
    # The user, their memberships with their groups (the group among them); the items, their
    # flags, their threads; the header's counts.
    assert few[0] == many[0] == 6


# --- suspensions and feedback ----------------------------------------------------------------


def test_a_suspended_member_is_told_why_they_cannot_post_and_nothing_is_stored(
    classroom, signed_in
) -> None:
    moderation.suspend_member(
        classroom.teacher, classroom.group, classroom.bob, utcnow() + timedelta(days=2), "Spam"
    )
    db.session.commit()
    client = signed_in(classroom.bob)
    page = parse(client.get(_in_group(classroom)).data)
    assert "You are suspended from posting in Seminar until" in page.find(cls="closed-note").text
    assert not page.has("form", cls="composer")
    response = client.post(
        f"/articles/{classroom.article.slug}/p/p2/annotations",
        data={"kind": "comment", "body": "Let me in", "group": classroom.group.slug},
    )
    assert response.status_code == 403
    form = parse(response.data).find("form", id="new")
    assert "You are suspended from posting in this group until" in form.find(cls="form-error").text
    assert form.find("textarea").text == "Let me in"
    assert db.session.scalar(select(Annotation.id)) is None
    public = client.post(
        f"/articles/{classroom.article.slug}/p/p2/annotations",
        data={"kind": "comment", "body": "Elsewhere"},
    )
    assert public.status_code == 302  # the suspension is from this group only


def test_feedback_is_seen_by_its_author_and_instructors_only(classroom, note, signed_in) -> None:
    teacher = signed_in(classroom.teacher)
    form_page = parse(teacher.get(f"/annotations/{note.id}/feedback").data)
    assert form_page.find("textarea", name="body")
    empty = teacher.post(f"/annotations/{note.id}/feedback", data={"body": "  "})
    assert empty.status_code == 422
    response = teacher.post(
        f"/annotations/{note.id}/feedback",
        data={"body": "Cite the *second* source.", "next": f"{_in_group(classroom)}#a-{note.id}"},
    )
    assert "only the author and the group’s instructors see it" in _flash(teacher, response)
    assert db.session.scalars(select(Feedback)).one().body == "Cite the *second* source."
    for who in (classroom.ann, classroom.teacher):
        item = _item(signed_in(who), _in_group(classroom), note.id)
        shown = item.find(cls="feedback")
        assert shown.find("em").text == "second"
        assert "Ms Teacher" in shown.text
    for url in (_in_group(classroom), f"/articles/{classroom.article.slug}?group=seminar"):
        assert "Cite the" not in signed_in(classroom.bob).get(url).get_data(as_text=True)
    assert "Cite the" in signed_in(classroom.ann).get(
        f"/articles/{classroom.article.slug}?group=seminar"
    ).get_data(as_text=True)
    assert signed_in(classroom.bob).get(f"/annotations/{note.id}/feedback").status_code == 403
    refused = signed_in(classroom.bob).post(f"/annotations/{note.id}/feedback", data={"body": "x"})
    assert refused.status_code == 403
