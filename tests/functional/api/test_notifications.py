"""Notifications through the API: made by replies, counters, moderation and feedback; read."""

from __future__ import annotations

import pytest

from tests.factories import Factories
from tests.functional.api.classroom import Classroom, build_classroom, error
from tests.functional.api.conftest import API


@pytest.fixture
def room(make, client, bearer) -> Classroom:  # type: ignore[no-untyped-def]
    return build_classroom(make, client, bearer)


def _notes(room: Classroom, user, query: str = "") -> dict:  # type: ignore[no-untyped-def]
    response = room.get(f"/notifications{query}", user)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_replies_counters_moderation_and_feedback_each_notify_the_author(
    room: Classroom,
) -> None:
    reply = room.post_note(room.peer, "Agreed", parent=room.note.id, group=None).get_json()
    counter = room.post_note(
        room.peer, "But consider…", parent=room.note.id, group=None, kind="counterargument"
    ).get_json()
    room.post(f"/annotations/{room.note.id}/moderation", room.teacher,
              {"action": "hide", "reason": "Too harsh"})  # fmt: skip
    room.post(f"/annotations/{room.note.id}/feedback", room.teacher, {"body": "Tone it down."})
    page = _notes(room, room.student)
    seen = [(n["kind"], n["annotation"], n["actor"]["username"], n["read"]) for n in page["items"]]
    assert seen == [
        ("feedback", room.note.id, "teacher", False),
        ("moderated", room.note.id, "teacher", False),
        ("counter", counter["id"], "peer", False),
        ("reply", reply["id"], "peer", False),
    ]  # fmt: skip
    assert "Too harsh" in page["items"][1]["message"]
    assert page["items"][0]["created"].endswith("Z")
    assert _notes(room, room.peer)["items"] == []  # nobody is told about their own doing


def test_the_count_gives_unread_notifications_and_waiting_queue_items(room: Classroom) -> None:
    room.post_note(room.peer, "Agreed", parent=room.note.id, group=None)
    room.post(f"/annotations/{room.note.id}/flags", room.peer, {"reason": "spam"})
    assert room.get("/notifications/count", room.student).get_json() == {"unread": 1, "queue": 0}
    assert room.get("/notifications/count", room.teacher).get_json() == {"unread": 0, "queue": 1}
    assert room.get("/notifications/count").status_code == 401


def test_marking_some_read_then_all_read(room: Classroom) -> None:
    for n in range(3):
        room.post_note(room.peer, f"Reply {n}", parent=room.note.id, group=None)
    ids = [n["id"] for n in _notes(room, room.student)["items"]]
    marked = room.post("/notifications/read", room.student, {"ids": ids[:1]})
    assert (marked.status_code, marked.get_json()) == (200, {"marked": 1})
    unread = _notes(room, room.student, "?unread=true")["items"]
    assert [n["id"] for n in unread] == ids[1:]
    assert [n["read"] for n in _notes(room, room.student)["items"]] == [True, False, False]
    everything = room.client.post(f"{API}/notifications/read", headers=room.as_(room.student))
    assert everything.get_json() == {"marked": 2}
    assert _notes(room, room.student, "?unread=true")["items"] == []
    assert room.get("/notifications/count", room.student).get_json()["unread"] == 0


def test_marking_someone_elses_notifications_changes_nothing(room: Classroom) -> None:
    room.post_note(room.peer, "Agreed", parent=room.note.id, group=None)
    [theirs] = _notes(room, room.student)["items"]
    response = room.post("/notifications/read", room.peer, {"ids": [theirs["id"]]})
    assert response.get_json() == {"marked": 0}
    assert _notes(room, room.student)["items"][0]["read"] is False


@pytest.mark.parametrize("payload", [{"ids": "all"}, {"ids": [0]}, {"ids": [1] * 501}, {"x": 1}])
def test_a_bad_mark_read_body_is_422(room: Classroom, payload: dict) -> None:
    response = room.post("/notifications/read", room.student, payload)
    assert response.status_code == 422
    assert error(response)["fields"]


def test_notifications_page_newest_first(room: Classroom) -> None:
    for n in range(5):
        room.post_note(room.peer, f"Reply {n}", parent=room.note.id, group=None)
    first = _notes(room, room.student, "?limit=2")
    second = _notes(room, room.student, f"?limit=2&cursor={first['next']}")
    third = _notes(room, room.student, f"?limit=2&cursor={second['next']}")
    ids = [n["id"] for page in (first, second, third) for n in page["items"]]
    assert len(ids) == 5
    assert ids == sorted(ids, reverse=True)
    assert third["next"] is None


def test_notification_queries_do_not_grow_with_their_number(
    app, client, count_queries, bearer
) -> None:
    def measure(n: int) -> tuple[int, int]:
        with app.app_context():
            author, article = Factories.user(), Factories.article()
            root = Factories.annotation(author, article)
            for _ in range(n):  # a different actor each time, so an N+1 on actors would show
                Factories.annotation(Factories.user(), article, parent=root)
            headers = bearer(author)
        with count_queries() as listing:
            body = client.get(f"{API}/notifications?limit=200", headers=headers).get_json()
        assert len(body["items"]) == n
        with count_queries() as count:
            assert client.get(f"{API}/notifications/count", headers=headers).status_code == 200
        return len(listing), len(count)

    assert measure(2) == measure(30)
