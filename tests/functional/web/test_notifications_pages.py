"""Notifications: the list, opening one in context, marking all read, and the header's badges."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Notification
from app.services import groups, moderation
from tests.functional.web.page import parse


def _page(client, url: str = "/notifications"):  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200
    return parse(response.data)


def test_notifications_list_newest_first_each_linking_through_its_own_page(
    classroom, make, signed_in
) -> None:
    note = make.groups.group_note(classroom.ann, classroom.article, classroom.group)
    make.groups.group_note(classroom.bob, classroom.article, classroom.group, parent=note)
    moderation.moderate_annotation(classroom.teacher, note, "pin")
    db.session.commit()
    page = _page(signed_in(classroom.ann))
    items = page.find_all("li", data_notification_id="*")
    assert [i.find(cls="notification-kind").text for i in items] == ["Moderation", "Reply"]
    assert "picked your annotation" in items[0].find(cls="notification-message").text
    assert "Bob Reader replied to your annotation." in items[1].text
    for item in items:
        assert "is-unread" in item.classes
        n = item.attrs["data-notification-id"]
        assert item.find("a").attrs["href"] == f"/notifications/{n}"
    assert page.find("form", action="/notifications/read")


def test_opening_a_notification_marks_it_read_and_goes_to_the_note_in_its_group(
    classroom, make, signed_in
) -> None:
    note = make.groups.group_note(classroom.ann, classroom.article, classroom.group, anchor="p3")
    reply = make.groups.group_note(
        classroom.bob, classroom.article, classroom.group, anchor="p3", parent=note
    )
    told = db.session.scalars(select(Notification)).one()
    client = signed_in(classroom.ann)
    response = client.get(f"/notifications/{told.id}")
    assert response.headers["Location"] == (
        f"/articles/{classroom.article.slug}/p/p3?group={classroom.group.slug}#a-{reply.id}"
    )
    db.session.expire_all()
    assert db.session.get(Notification, told.id).read_at is not None
    item = _page(client).find("li", data_notification_id=str(told.id))
    assert "is-unread" not in item.classes
    assert signed_in(classroom.bob).get(f"/notifications/{told.id}").status_code == 404


def test_a_notification_about_a_note_no_longer_visible_is_gone_for_its_reader(
    classroom, make, signed_in
) -> None:
    # Issue 14.1: it follows the note's visibility, decided when read (see test_copies_visibility).
    note = make.groups.group_note(classroom.ann, classroom.article, classroom.group)
    make.groups.group_note(classroom.bob, classroom.article, classroom.group, parent=note)
    told = db.session.scalars(select(Notification)).one()
    client = signed_in(classroom.ann)
    client.post("/groups/seminar/leave")
    assert client.get(f"/notifications/{told.id}").status_code == 404
    assert not _page(client).has("li", data_notification_id=str(told.id))


def test_mark_all_read_clears_the_list_and_the_header_badge(classroom, make, signed_in) -> None:
    note = make.groups.group_note(classroom.ann, classroom.article, classroom.group)
    for _ in range(3):
        make.groups.group_note(classroom.bob, classroom.article, classroom.group, parent=note)
    client = signed_in(classroom.ann)
    bell = _page(client, "/").find("a", data_header_unread="*")
    assert bell.attrs["href"] == "/notifications"
    assert bell.find(cls="badge").text == "3"
    assert bell.attrs["aria-label"] == "Notifications: 3 unread"
    response = client.post("/notifications/read", follow_redirects=True)
    page = parse(response.data)
    assert "All caught up." in page.find(cls="flashes").text
    assert not page.has("li", cls="is-unread")
    assert not page.find("a", data_header_unread="*").has(cls="badge")
    assert not page.has("form", action="/notifications/read")


def test_an_empty_list_says_what_will_arrive_here(make, signed_in) -> None:
    page = _page(signed_in(make.user()))
    assert "No notifications yet." in page.find(cls="empty-state").text


def test_the_header_shows_instructors_the_waiting_queue_and_links_to_it(
    classroom, make, signed_in
) -> None:
    note = make.groups.group_note(classroom.ann, classroom.article, classroom.group)
    moderation.flag_annotation(classroom.bob, note, "spam")
    db.session.commit()
    queue = _page(signed_in(classroom.teacher), "/").find("a", data_header_queue="*")
    assert queue.find(cls="badge").text == "1"
    assert queue.attrs["href"] == "/groups/seminar/moderation"
    assert not _page(signed_in(classroom.bob), "/").has(data_header_queue="*")


def test_with_several_queues_waiting_the_header_links_to_the_groups_page(
    classroom, make, signed_in
) -> None:
    other = make.groups.group(classroom.teacher, "Evening", articles=(classroom.article,))
    make.groups.join(classroom.bob, other)
    groups.set_premoderation(classroom.teacher, other, "all")
    db.session.commit()
    make.groups.group_note(classroom.bob, classroom.article, other)  # held for approval
    note = make.groups.group_note(classroom.ann, classroom.article, classroom.group)
    moderation.flag_annotation(classroom.bob, note, "spam")
    db.session.commit()
    client = signed_in(classroom.teacher)
    queue = _page(client, "/").find("a", data_header_queue="*")
    assert queue.find(cls="badge").text == "2"
    assert queue.attrs["href"] == "/groups#queues"
    links = _page(client, "/groups").find_all("a", cls="queue-link")
    assert {a.attrs["href"]: a.text for a in links} == {
        "/groups/evening/moderation": "1 waiting",
        "/groups/seminar/moderation": "1 waiting",
    }


def test_the_header_counts_cost_one_query_and_none_when_signed_out(
    app, client, make, count_queries
) -> None:
    from tests.factories import login

    make.article()

    def statements() -> int:
        client.get("/")
        db.session.remove()
        with count_queries() as queries:
            client.get("/")
        return len(queries)

    anonymous = statements()
    login(client, make.user().username)
    assert statements() == anonymous + 2  # the signed-in user, then unread and waiting at once
