"""Moderation through the API: flags, the queue, each action and its undo, the log, locks, pins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.extensions import db
from app.models import Flag
from app.services.moderation import flag_annotation, moderate_annotation
from tests.factories import SAMPLE_BLOCKS, Factories
from tests.functional.api.classroom import Classroom, build_classroom, error
from tests.functional.api.conftest import API


@pytest.fixture
def room(make, client, bearer) -> Classroom:  # type: ignore[no-untyped-def]
    return build_classroom(make, client, bearer)


def _act(room: Classroom, action: str, reason: str | None = None, user=None):  # type: ignore[no-untyped-def]
    payload = {"action": action} if reason is None else {"action": action, "reason": reason}
    return room.post(f"/annotations/{room.note.id}/moderation", user or room.teacher, payload)


def _log(room: Classroom, query: str = "") -> dict:
    response = room.get(f"/groups/{room.group.slug}/moderation/log{query}", room.teacher)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _queue(room: Classroom, query: str = "") -> dict:
    response = room.get(f"/groups/{room.group.slug}/moderation/queue{query}", room.teacher)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# --- each action and its undo -------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "undo", "field", "before", "after"),
    [
        ("hide", "unhide", "status", "visible", "hidden"),
        ("lock", "unlock", "locked", False, True),
        ("pin", "unpin", "pinned", False, True),
        ("delete", "restore", "status", "visible", "deleted"),
    ],
)
def test_each_action_is_undone_by_its_pair_and_both_are_logged_with_the_previous_state(
    room: Classroom, action: str, undo: str, field: str, before: object, after: object
) -> None:
    done = _act(room, action, reason=f"why {action}")
    assert done.status_code == 200, done.get_json()
    assert done.get_json()[field] == after
    undone = _act(room, undo)
    assert undone.status_code == 200, undone.get_json()
    assert undone.get_json()[field] == before
    entries = _log(room)["items"]
    assert [(e["action"], e["previous"][field]) for e in entries] == [
        (undo, after),
        (action, before),
    ]
    newest, oldest = entries
    assert oldest["reason"] == f"why {action}"
    assert newest["reason"] is None
    assert oldest["actor"] == {"username": "teacher", "display_name": "Ms. Teacher"}
    assert oldest["subject"] == {"annotation": room.note.id, "user": None}
    assert oldest["created"].endswith("Z")


def test_an_action_that_does_not_fit_the_state_is_409_and_changes_nothing(room: Classroom) -> None:
    for action in ("unhide", "unlock", "unpin", "restore", "approve"):
        response = _act(room, action)
        assert response.status_code == 409, action
        assert error(response)["code"] == "conflict"
    assert _act(room, "lock").status_code == 200
    assert _act(room, "lock").status_code == 409
    assert [e["action"] for e in _log(room)["items"]] == ["lock"]


@pytest.mark.parametrize("payload", [{"action": "obliterate"}, {}, {"action": "hide", "x": 1}])
def test_an_unknown_action_is_422(room: Classroom, payload: dict) -> None:
    response = room.post(f"/annotations/{room.note.id}/moderation", room.teacher, payload)
    assert response.status_code == 422
    assert error(response)["fields"]


def test_a_member_who_can_see_the_annotation_gets_403_and_an_outsider_404(
    room: Classroom,
) -> None:
    assert _act(room, "hide", user=room.peer).status_code == 403
    assert _act(room, "hide", user=room.student).status_code == 403  # its own author too
    assert _act(room, "hide", user=room.outsider).status_code == 404
    assert (
        room.post(f"/annotations/{room.note.id}/moderation", None, {"action": "hide"}).status_code
        == 401
    )


def test_an_instructor_of_another_group_cannot_moderate_a_public_annotation(
    room: Classroom, make
) -> None:
    public = make.annotation(room.student, room.article, body="In public")
    path = f"/annotations/{public.id}/moderation"
    assert room.post(path, room.teacher, {"action": "hide"}).status_code == 403
    admin = make.user("root", role="admin")
    assert room.post(path, admin, {"action": "hide"}).get_json()["status"] == "hidden"


def test_a_moderators_delete_through_delete_annotation_is_restored_by_the_restore_action(
    room: Classroom,
) -> None:
    assert room.delete(f"/annotations/{room.note.id}", room.teacher).status_code == 204
    assert room.get(f"/annotations/{room.note.id}", room.peer).get_json()["status"] == "deleted"
    restored = _act(room, "restore")
    assert (restored.status_code, restored.get_json()["status"]) == (200, "visible")
    assert [e["action"] for e in _log(room)["items"]] == ["restore", "delete"]


# --- flag → queue → hide ------------------------------------------------------------------


def test_flag_then_queue_then_hide_shows_the_author_the_reason_and_others_a_placeholder(
    room: Classroom,
) -> None:
    flagged = room.post(
        f"/annotations/{room.note.id}/flags", room.peer, {"reason": "disrespectful",
                                                          "details": "Name-calling"}
    )  # fmt: skip
    assert flagged.status_code == 201, flagged.get_json()
    flag = flagged.get_json()
    assert flag | {"created": None} == {
        "annotation": room.note.id, "reason": "disrespectful", "details": "Name-calling",
        "by": {"username": "peer", "display_name": "peer"}, "created": None,
    }  # fmt: skip

    queue = _queue(room)
    assert queue["next"] is None
    [item] = queue["items"]
    assert item["annotation"]["id"] == room.note.id
    assert item["annotation"]["body"] == "A bold claim for the group."
    assert (item["anchor"], item["block_text"]) == ("p2", SAMPLE_BLOCKS[1][1])
    assert [(f["reason"], f["details"], f["by"]["username"]) for f in item["flags"]] == [
        ("disrespectful", "Name-calling", "peer")
    ]
    assert [a["id"] for a in item["thread"]] == [room.note.id]

    hidden = _act(room, "hide", reason="Keep it civil")
    assert hidden.status_code == 200
    shown = hidden.get_json()  # as the moderator sees it
    assert (shown["status"], shown["body"], shown["moderation_reason"]) == (
        "hidden", "A bold claim for the group.", "Keep it civil"
    )  # fmt: skip
    assert _queue(room)["items"] == []

    own = room.get(f"/annotations/{room.note.id}", room.student).get_json()
    assert (own["status"], own["body"], own["moderation_reason"]) == (
        "hidden", "A bold claim for the group.", "Keep it civil"
    )  # fmt: skip
    other = room.get(f"/annotations/{room.note.id}", room.peer).get_json()
    assert (other["status"], other["body"], other["body_html"], other["moderation_reason"]) == (
        "hidden", None, None, None
    )  # fmt: skip
    listed = room.get(f"/articles/{room.article.slug}/annotations", room.peer).get_json()
    assert [(a["id"], a["body"]) for a in listed["items"]] == [(room.note.id, None)]


def test_flagging_twice_is_409_and_the_flag_is_kept_once(room: Classroom) -> None:
    path = f"/annotations/{room.note.id}/flags"
    assert room.post(path, room.peer, {"reason": "spam"}).status_code == 201
    again = room.post(path, room.peer, {"reason": "off_topic"})
    assert again.status_code == 409
    assert db.session.query(Flag).count() == 1
    assert room.post(path, room.teacher, {"reason": "off_topic"}).status_code == 201


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"reason": "ugly"}, "reason"), ({}, "reason"), ({"reason": "other"}, "details"),
     ({"reason": "spam", "details": "x" * 1001}, "details")],
)  # fmt: skip
def test_a_bad_flag_is_422_naming_the_field(room: Classroom, payload: dict, field: str) -> None:
    response = room.post(f"/annotations/{room.note.id}/flags", room.peer, payload)
    assert response.status_code == 422
    assert set(error(response)["fields"]) == {field}


def test_an_author_cannot_flag_their_own_annotation(room: Classroom) -> None:
    response = room.post(f"/annotations/{room.note.id}/flags", room.student, {"reason": "spam"})
    assert response.status_code == 403


def test_a_hidden_placeholder_cannot_be_flagged(room: Classroom) -> None:
    hidden = room.post(f"/annotations/{room.note.id}/moderation", room.teacher,
                       {"action": "hide", "reason": "Off topic."})  # fmt: skip
    assert hidden.status_code == 200
    response = room.post(f"/annotations/{room.note.id}/flags", room.peer, {"reason": "spam"})
    assert response.status_code == 403


def test_approving_a_flagged_annotation_keeps_it_and_empties_the_queue(room: Classroom) -> None:
    room.post(f"/annotations/{room.note.id}/flags", room.peer, {"reason": "spam"})
    approved = _act(room, "approve", reason="It is on topic")
    assert (approved.status_code, approved.get_json()["status"]) == (200, "visible")
    assert _queue(room)["items"] == []
    assert _log(room)["items"][0]["action"] == "approve"


def test_the_queue_is_oldest_first_a_page_at_a_time_with_whole_threads(
    room: Classroom, make
) -> None:
    notes = [room.note] + [
        make.groups.group_note(room.student, room.article, room.group, body=f"n{i}")
        for i in range(4)
    ]
    reply = make.groups.group_note(room.peer, room.article, room.group, parent=notes[1])
    for note in reversed(notes):  # flagged newest first: the queue still lists oldest first
        assert (
            room.post(f"/annotations/{note.id}/flags", room.peer, {"reason": "spam"}).status_code
            == 201
        )
    first = _queue(room, "?limit=2")
    second = _queue(room, f"?limit=2&cursor={first['next']}")
    third = _queue(room, f"?limit=2&cursor={second['next']}")
    seen = [i["annotation"]["id"] for page in (first, second, third) for i in page["items"]]
    assert seen == [n.id for n in notes]
    assert third["next"] is None
    assert [a["id"] for a in first["items"][1]["thread"]] == [notes[1].id, reply.id]


# --- locks, pins --------------------------------------------------------------------------


def test_a_locked_thread_refuses_replies_with_409_until_unlocked(room: Classroom) -> None:
    first = room.post_note(room.peer, "An answer", parent=room.note.id, group=None)
    assert first.status_code == 201
    assert _act(room, "lock", reason="Settled").get_json()["locked"] is True
    for parent in (room.note.id, first.get_json()["id"]):
        refused = room.post_note(room.peer, "More", parent=parent, group=None)
        assert refused.status_code == 409
        assert error(refused)["code"] == "conflict"
    assert _act(room, "unlock").get_json()["locked"] is False
    assert room.post_note(room.peer, "More", parent=room.note.id, group=None).status_code == 201


def test_a_pinned_annotation_says_so_to_every_member(room: Classroom) -> None:
    assert _act(room, "pin").status_code == 200
    assert room.get(f"/annotations/{room.note.id}", room.peer).get_json()["pinned"] is True
    listed = room.get(f"/articles/{room.article.slug}/annotations", room.peer).get_json()
    assert listed["items"][0]["pinned"] is True


# --- pre-moderation -----------------------------------------------------------------------


def test_premoderated_posts_wait_unseen_in_the_queue_until_approved(room: Classroom) -> None:
    settings = {"premoderation": {"mode": "new_members", "posts": 1}}
    assert room.patch(f"/groups/{room.group.slug}", room.teacher, settings).status_code == 200
    posted = room.post_note(room.peer, "My first post")
    assert posted.status_code == 201
    held = posted.get_json()
    assert (held["status"], held["body"]) == ("pending", "My first post")
    listing = f"/articles/{room.article.slug}/annotations"
    assert held["id"] not in [a["id"] for a in room.get(listing, room.student).get_json()["items"]]
    assert room.get(f"/annotations/{held['id']}", room.student).status_code == 404
    [item] = _queue(room)["items"]
    assert (item["annotation"]["id"], item["flags"]) == (held["id"], [])
    approved = room.post(
        f"/annotations/{held['id']}/moderation", room.teacher, {"action": "approve"}
    )
    assert approved.get_json()["status"] == "visible"
    assert room.get(f"/annotations/{held['id']}", room.student).status_code == 200
    assert room.post_note(room.peer, "My second post").get_json()["status"] == "visible"
    assert (
        room.post_note(room.teacher, "Instructors are never held").get_json()["status"] == "visible"
    )


# --- suspensions --------------------------------------------------------------------------


def test_a_suspended_member_gets_403_with_the_end_time_until_unsuspended(room: Classroom) -> None:
    path = f"/groups/{room.group.slug}/members/student/suspension"
    suspended = room.post(path, room.teacher, {"until": "2099-01-01T00:00:00Z"})
    assert suspended.status_code == 422  # more than a year away
    suspended = room.post(path, room.teacher, {"days": 2, "reason": "Cool off"})
    assert suspended.status_code == 201, suspended.get_json()
    body = suspended.get_json()
    assert (body["username"], body["reason"]) == ("student", "Cool off")
    refused = room.post_note(room.student)
    assert refused.status_code == 403
    end = body["suspended_until"]  # e.g. 2030-01-03T10:00:00Z
    assert f"{end[:10]} {end[11:16]} UTC" in error(refused)["message"]
    assert room.get(f"/annotations/{room.note.id}", room.student).status_code == 200  # still reads
    assert room.delete(path, room.teacher).status_code == 204
    assert room.post_note(room.student).status_code == 201
    assert room.delete(path, room.teacher).status_code == 409  # no longer suspended
    actions = [(e["action"], e["subject"]["user"]["username"]) for e in _log(room)["items"]]
    assert actions == [("unsuspend", "student"), ("suspend", "student")]


def test_a_suspension_may_name_its_end_as_a_moment_with_a_zone(room: Classroom) -> None:
    path = f"/groups/{room.group.slug}/members/peer/suspension"
    soon = (datetime.now(UTC) + timedelta(hours=5)).replace(microsecond=0)
    local = soon.astimezone(timezone(timedelta(hours=2))).isoformat()  # +02:00
    response = room.post(path, room.teacher, {"until": local})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["suspended_until"] == soon.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "until"), ({"days": 2, "until": "2030-01-01T00:00:00Z"}, "until"),
     ({"until": "2030-01-01T00:00:00"}, "until"), ({"until": "2000-01-01T00:00:00Z"}, "until"),
     ({"days": 0}, "days"), ({"days": 400}, "days")],
)  # fmt: skip
def test_a_suspension_needs_one_end_in_the_coming_year(
    room: Classroom, payload: dict, field: str
) -> None:
    response = room.post(
        f"/groups/{room.group.slug}/members/peer/suspension", room.teacher, payload
    )
    assert response.status_code == 422
    assert set(error(response)["fields"]) == {field}


def test_instructors_cannot_be_suspended_and_unknown_users_are_404(room: Classroom) -> None:
    base = f"/groups/{room.group.slug}/members"
    assert room.post(f"{base}/teacher/suspension", room.teacher, {"days": 1}).status_code == 409
    assert room.post(f"{base}/nobody/suspension", room.teacher, {"days": 1}).status_code == 404


# --- the log ------------------------------------------------------------------------------


def test_the_log_records_member_actions_with_their_subject_and_pages_newest_first(
    room: Classroom,
) -> None:
    base = f"/groups/{room.group.slug}/members"
    room.patch(f"{base}/peer", room.teacher, {"role": "instructor"})
    room.patch(f"{base}/peer", room.teacher, {"role": "member"})
    room.delete(f"{base}/peer", room.teacher, {"reason": "Left the course"})
    room.post(f"{base}/peer/restore", room.teacher)
    first = _log(room, "?limit=3")
    rest = _log(room, f"?limit=3&cursor={first['next']}")
    assert rest["next"] is None
    entries = first["items"] + rest["items"]
    assert [(e["action"], e["previous"]) for e in entries] == [
        ("restore_member", {"status": "removed"}),
        ("remove_member", {"status": "active"}),
        ("role_member", {"role": "instructor"}),
        ("role_instructor", {"role": "member"}),
    ]
    assert {e["subject"]["user"]["username"] for e in entries} == {"peer"}
    assert entries[1]["reason"] == "Left the course"


# --- query counts -------------------------------------------------------------------------


def test_queue_and_log_queries_do_not_grow_with_their_items(
    app, client, count_queries, bearer
) -> None:
    def measure(n: int) -> tuple[int, int]:
        with app.app_context():
            teacher = Factories.user(role="instructor")
            article = Factories.article()
            group = Factories.groups.group(teacher, f"Group {n}", articles=(article,))
            members = [Factories.user() for _ in range(n)]
            for member in members:
                Factories.groups.join(member, group)
            for i, member in enumerate(members):
                anchor = f"p{2 + i % 3}"
                note = Factories.groups.group_note(member, article, group, anchor=anchor)
                Factories.groups.group_note(members[i - 1], article, group, anchor, parent=note)
                flag_annotation(members[i - 1], note, "spam")
                moderate_annotation(teacher, note, "lock")
                db.session.commit()
            slug, headers = group.slug, bearer(teacher)
        with count_queries() as queue:
            body = client.get(f"{API}/groups/{slug}/moderation/queue", headers=headers).get_json()
        assert len(body["items"]) == n
        with count_queries() as log:
            body = client.get(f"{API}/groups/{slug}/moderation/log", headers=headers).get_json()
        assert len(body["items"]) == n
        return len(queue), len(log)

    assert measure(2) == measure(20)
