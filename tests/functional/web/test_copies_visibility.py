"""Notifications, feedback and excerpts follow the annotation's visibility, decided when read
(issue 14.1): whoever leaves a group or is removed from it stops seeing its words, on the
pages and in the API. Each copy carries a marker word that must not be found afterwards.

Also the context a class needs in a notification (article, block, group, excerpt), the
flagger told of the outcome, and the author told of a lock (issue 9, item 8).
"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, Notification
from app.services.feedback import give_feedback
from app.services.moderation import flag_annotation, moderate_annotation
from tests.factories import login

MARKER = "quokkamarker"
FEEDBACK_MARKER = "wombatfeedback"


def _client(app, user):  # type: ignore[no-untyped-def]
    client = app.test_client()
    login(client, user.username)
    return client


def _everything_shown(client, note_id: int) -> str:  # type: ignore[no-untyped-def]
    """All a reader can get of their notifications and of the feedback on one note."""
    parts = [
        client.get("/notifications").get_data(as_text=True),
        client.get("/api/v1/notifications").get_data(as_text=True),
        client.get("/api/v1/notifications?unread=true").get_data(as_text=True),
        client.get(f"/api/v1/annotations/{note_id}/feedback").get_data(as_text=True),
        client.get("/").get_data(as_text=True),  # the header's unread badge
    ]
    return "\n".join(parts)


def _reply_and_feedback(classroom, make):  # type: ignore[no-untyped-def]
    """Ann's group note, Bob's reply to it (a marker), and the teacher's feedback (another)."""
    note = make.groups.group_note(classroom.ann, classroom.article, classroom.group, anchor="p3")
    make.groups.group_note(
        classroom.bob,
        classroom.article,
        classroom.group,
        anchor="p3",
        parent=note,
        body=f"I **disagree**, {MARKER}.",
    )
    give_feedback(classroom.teacher, note, f"Good start; {FEEDBACK_MARKER}.")
    db.session.commit()
    return note


def test_a_reader_sees_the_context_and_the_words_while_in_the_group(app, classroom, make) -> None:
    note = _reply_and_feedback(classroom, make)
    client = _client(app, classroom.ann)
    shown = _everything_shown(client, note.id)
    assert MARKER in shown
    assert FEEDBACK_MARKER in shown
    assert "Seminar" in client.get("/notifications").get_data(as_text=True)
    items = client.get("/api/v1/notifications").get_json()["items"]
    reply = next(i for i in items if i["kind"] == "reply")
    context = reply["context"]
    assert context["article"] == {"slug": classroom.article.slug, "title": "The Reading"}
    assert context["block"]["anchor"] == "p3"
    assert context["block"]["position"] == 3  # headings counted
    assert context["block"]["opening"].startswith("The second paragraph")
    assert context["group"] == {"slug": classroom.group.slug, "name": "Seminar"}
    assert context["excerpt"] == f"I disagree, {MARKER}."  # as read, without Markdown marks
    assert client.get("/api/v1/notifications/count").get_json()["unread"] == 2


def test_leaving_the_group_hides_its_words_at_once(app, classroom, make) -> None:
    note = _reply_and_feedback(classroom, make)
    client = _client(app, classroom.ann)
    ids = [n.id for n in db.session.scalars(select(Notification))]
    assert client.post(f"/groups/{classroom.group.slug}/leave").status_code == 302
    shown = _everything_shown(client, note.id)
    assert MARKER not in shown
    assert FEEDBACK_MARKER not in shown
    assert "Seminar" not in client.get("/notifications").get_data(as_text=True)
    assert client.get("/api/v1/notifications").get_json()["items"] == []
    assert client.get("/api/v1/notifications/count").get_json()["unread"] == 0
    for notification_id in ids:
        assert client.get(f"/notifications/{notification_id}").status_code == 404
    # Joining again brings them back: the rule is decided when read, nothing was deleted.
    make.groups.join(classroom.ann, classroom.group)
    assert MARKER in _everything_shown(client, note.id)


def test_removal_from_the_group_hides_its_words_too(app, classroom, make) -> None:
    note = _reply_and_feedback(classroom, make)
    teacher = _client(app, classroom.teacher)
    response = teacher.post(f"/groups/{classroom.group.slug}/members/ann/remove")
    assert response.status_code == 302
    client = _client(app, classroom.ann)
    shown = _everything_shown(client, note.id)
    assert MARKER not in shown
    assert FEEDBACK_MARKER not in shown
    assert client.get(f"/api/v1/annotations/{note.id}/feedback").status_code in (403, 404)
    assert client.get("/api/v1/notifications").get_json()["items"] == []


def test_a_hidden_reply_leaves_its_notification_without_an_excerpt(app, classroom, make) -> None:
    _reply_and_feedback(classroom, make)
    reply_id = db.session.scalar(
        select(Notification.annotation_id).where(Notification.kind == "reply")
    )
    moderate_annotation(
        classroom.teacher, db.session.get_one(Annotation, reply_id), "hide", "Off topic"
    )
    db.session.commit()
    client = _client(app, classroom.ann)
    items = client.get("/api/v1/notifications").get_json()["items"]
    reply = next(i for i in items if i["kind"] == "reply")
    assert reply["context"]["excerpt"] is None
    assert MARKER not in client.get("/notifications").get_data(as_text=True)


def test_the_flagger_hears_the_outcome_and_the_author_hears_of_a_lock(app, classroom, make) -> None:
    note = make.groups.group_note(classroom.ann, classroom.article, classroom.group)
    flag_annotation(classroom.bob, note, "off_topic")
    db.session.commit()
    moderate_annotation(classroom.teacher, note, "hide", "Off topic for this week")
    moderate_annotation(classroom.teacher, note, "unhide")
    moderate_annotation(classroom.teacher, note, "lock")
    db.session.commit()
    bob = _client(app, classroom.bob).get("/api/v1/notifications").get_json()["items"]
    assert [(i["kind"], i["message"]) for i in bob] == [
        ("flag_outcome", "An instructor hid the note you flagged.")
    ]
    assert bob[0]["context"]["group"]["name"] == "Seminar"
    assert bob[0]["actor"]["username"] == "teacher"
    ann = _client(app, classroom.ann).get("/api/v1/notifications").get_json()["items"]
    assert ann[0]["message"].startswith("An instructor locked the thread of your annotation")
    assert ann[0]["context"]["article"]["slug"] == classroom.article.slug


def test_the_notifications_page_costs_the_same_statements_however_many(
    app, classroom, make, count_queries
) -> None:
    client = _client(app, classroom.ann)

    def statements() -> int:
        with count_queries() as counted:
            assert client.get("/notifications").status_code == 200
        return len(counted)

    note = make.groups.group_note(classroom.ann, classroom.article, classroom.group)
    make.groups.group_note(classroom.bob, classroom.article, classroom.group, parent=note)
    few = statements()
    for n in range(6):
        make.groups.group_note(
            classroom.bob, classroom.article, classroom.group, parent=note, body=f"More {n}"
        )
    assert statements() == few
