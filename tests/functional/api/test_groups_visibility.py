"""For anyone outside a group, its annotations do not exist anywhere in the API."""

from __future__ import annotations

import json

import pytest

from app.extensions import db
from app.services.annotations import NewAnnotation, post_annotation
from tests.functional.api.classroom import Classroom, build_classroom, error
from tests.functional.api.conftest import API

MISSING_ID = 999_999


@pytest.fixture
def room(make, client, bearer) -> Classroom:  # type: ignore[no-untyped-def]
    return build_classroom(make, client, bearer)


def _every_annotation_route(room: Classroom, annotation_id: int, user) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    one = f"/annotations/{annotation_id}"
    return [
        ("GET", room.get(one, user).status_code),
        ("PATCH", room.patch(one, user, {"body": "mine now"}).status_code),
        ("DELETE", room.delete(one, user).status_code),
        ("flags", room.post(f"{one}/flags", user, {"reason": "spam"}).status_code),
        ("moderation", room.post(f"{one}/moderation", user, {"action": "hide"}).status_code),
        ("feedback+", room.post(f"{one}/feedback", user, {"body": "Good."}).status_code),
        ("feedback", room.get(f"{one}/feedback", user).status_code),
    ]


def test_a_group_annotation_is_404_for_an_outsider_on_every_route(room: Classroom) -> None:
    statuses = _every_annotation_route(room, room.note.id, room.outsider)
    assert statuses == _every_annotation_route(room, MISSING_ID, room.outsider)
    assert {status for _, status in statuses} == {404}
    hidden = room.get(f"/annotations/{room.note.id}", room.outsider).get_json()
    missing = room.get(f"/annotations/{MISSING_ID}", room.outsider).get_json()
    assert hidden == missing


def test_a_group_annotation_is_404_for_anonymous_readers(room: Classroom) -> None:
    assert room.get(f"/annotations/{room.note.id}").status_code == 404
    assert room.get(f"/annotations/{room.note.id}/feedback").status_code == 401


def test_a_former_member_loses_sight_of_the_groups_annotations(room: Classroom) -> None:
    assert room.get(f"/annotations/{room.note.id}", room.peer).status_code == 200
    room.post(f"/groups/{room.group.slug}/leave", room.peer)
    assert room.get(f"/annotations/{room.note.id}", room.peer).status_code == 404


def test_a_reply_in_a_group_thread_is_404_for_outsiders_too(room: Classroom) -> None:
    reply = room.post_note(room.peer, "I disagree.", parent=room.note.id, group=None)
    assert reply.status_code == 201, reply.get_json()
    reply_id = reply.get_json()["id"]
    assert reply.get_json()["group"] == room.group.slug
    assert room.get(f"/annotations/{reply_id}", room.outsider).status_code == 404


def test_an_outsider_cannot_reply_into_a_group_thread_or_post_to_the_group(
    room: Classroom,
) -> None:
    reply = room.post_note(room.outsider, "Let me in", parent=room.note.id, group=None)
    assert reply.status_code == 422
    assert set(error(reply)["fields"]) == {"parent"}
    post = room.post_note(room.outsider, "Let me in")
    assert post.status_code == 422
    assert set(error(post)["fields"]) == {"group"}


def test_a_group_annotation_is_absent_from_an_outsiders_lists(room: Classroom) -> None:
    listing = f"/articles/{room.article.slug}/annotations"
    for user in (room.outsider, None):
        for query in ("", f"?group={room.group.slug}", "?anchor=p2", "?author=student"):
            assert room.get(listing + query, user).get_json()["items"] == [], (user, query)
    member_view = room.get(f"{listing}?group={room.group.slug}", room.peer).get_json()["items"]
    assert [a["id"] for a in member_view] == [room.note.id]


def test_a_group_annotation_is_absent_from_an_outsiders_counts(room: Classroom) -> None:
    def counts(user) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
        article = room.get(f"/articles/{room.article.slug}", user).get_json()
        p2 = next(b for b in article["blocks"] if b["anchor"] == "p2")
        listed = room.get("/articles", user).get_json()["items"][0]
        return article["annotation_count"], sum(p2["counts"].values()), listed["annotation_count"]

    assert counts(room.outsider) == (0, 0, 0)
    assert counts(None) == (0, 0, 0)
    assert counts(room.peer) == (1, 1, 1)


def test_an_instructor_cannot_see_a_students_private_note(room: Classroom) -> None:
    note = post_annotation(
        room.student, room.article, NewAnnotation("p2", "comment", "just for me", private=True)
    )
    db.session.commit()
    assert room.get(f"/annotations/{note.id}", room.student).status_code == 200
    statuses = _every_annotation_route(room, note.id, room.teacher)
    assert {status for _, status in statuses} == {404}
    listing = room.get(f"/articles/{room.article.slug}/annotations", room.teacher).get_json()
    assert note.id not in [a["id"] for a in listing["items"]]
    queue = room.get(f"/groups/{room.group.slug}/moderation/queue", room.teacher).get_json()
    assert queue["items"] == []


def test_group_routes_are_404_for_outsiders_and_403_for_members(room: Classroom) -> None:
    slug = room.group.slug
    for path in ("moderation/queue", "moderation/log"):
        assert room.get(f"/groups/{slug}/{path}", room.outsider).status_code == 404
        assert room.get(f"/groups/{slug}/{path}", room.student).status_code == 403
    suspension = f"/groups/{slug}/members/peer/suspension"
    assert room.post(suspension, room.outsider, {"days": 1}).status_code == 404
    assert room.post(suspension, room.student, {"days": 1}).status_code == 403


def test_the_openapi_document_carries_no_group_data(room: Classroom, client) -> None:
    room.post("/groups", room.teacher, {"name": "Zanzibar Quorum"})
    text = json.dumps(client.get(f"{API}/openapi.json").get_json())
    for secret in ("Zanzibar", "zanzibar-quorum", "seminar-alpha", "Seminar Alpha",
                   room.group.join_code, "A bold claim for the group."):  # fmt: skip
        assert secret not in text
