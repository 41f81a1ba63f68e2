"""The OpenAPI document describes the group, moderation, feedback and notification calls truly."""

from __future__ import annotations

from typing import Any

import pytest

from tests.functional.api.classroom import Classroom, build_classroom
from tests.functional.api.conftest import API
from tests.functional.api.test_openapi import Checker


@pytest.fixture
def doc(client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return client.get(f"{API}/openapi.json").get_json()


@pytest.fixture
def room(make, client, bearer) -> Classroom:  # type: ignore[no-untyped-def]
    return build_classroom(make, client, bearer)


def _documented(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(m, path) for path, item in doc["paths"].items() for m in item}


def test_the_contracts_group_and_moderation_calls_are_documented(doc) -> None:
    assert {
        ("post", "/groups"), ("post", "/groups/join"), ("get", "/groups/{slug}"),
        ("post", "/groups/{slug}/articles"), ("post", "/annotations/{annotation_id}/flags"),
        ("post", "/annotations/{annotation_id}/moderation"),
        ("get", "/groups/{slug}/moderation/queue"), ("get", "/groups/{slug}/moderation/log"),
    } <= _documented(doc)  # fmt: skip


def test_the_extensions_are_documented(doc) -> None:
    assert {
        ("get", "/groups"), ("patch", "/groups/{slug}"), ("post", "/groups/{slug}/leave"),
        ("post", "/groups/{slug}/join-code"), ("delete", "/groups/{slug}/articles/{article}"),
        ("patch", "/groups/{slug}/members/{username}"),
        ("delete", "/groups/{slug}/members/{username}"),
        ("post", "/groups/{slug}/members/{username}/restore"),
        ("post", "/groups/{slug}/members/{username}/suspension"),
        ("delete", "/groups/{slug}/members/{username}/suspension"),
        ("post", "/annotations/{annotation_id}/feedback"),
        ("get", "/annotations/{annotation_id}/feedback"), ("get", "/notifications"),
        ("get", "/notifications/count"), ("post", "/notifications/read"),
    } <= _documented(doc)  # fmt: skip


def test_new_request_bodies_forbid_unknown_fields_and_optional_ones_may_be_left_out(doc) -> None:
    schemas = doc["components"]["schemas"]
    for name in ("GroupCreate", "JoinIn", "GroupUpdate", "PremoderationIn", "ReadingCreate",
                 "MemberUpdate", "RemovalIn", "SuspensionCreate", "UnsuspendIn", "FlagCreate",
                 "ModerationIn", "FeedbackCreate", "MarkRead"):  # fmt: skip
        assert schemas[name]["additionalProperties"] is False, name
    paths = doc["paths"]
    assert paths["/notifications/read"]["post"]["requestBody"]["required"] is False
    assert paths["/groups/{slug}/members/{username}"]["delete"]["requestBody"]["required"] is False
    assert paths["/groups"]["post"]["requestBody"]["required"] is True


def test_the_moderation_actions_documented_are_the_services_actions(doc) -> None:
    from app.services.moderation import ANNOTATION_ACTIONS

    action = doc["components"]["schemas"]["ModerationIn"]["properties"]["action"]
    assert set(action["enum"]) == set(ANNOTATION_ACTIONS)


def test_real_group_responses_match_their_documented_schemas(room: Classroom, doc, make) -> None:
    check = Checker(doc)
    slug, note = room.group.slug, room.note.id
    make.article(slug="second")
    t, s = room.teacher, room.student

    check(room.post("/groups", t, {"name": "Another"}), "post", "/groups")
    check(room.post("/groups", s, {"name": "Another"}), "post", "/groups")
    check(room.post("/groups", t, {"name": ""}), "post", "/groups")
    check(room.get("/groups", t), "get", "/groups")
    check(room.post("/groups/join", room.outsider, {"join_code": room.group.join_code}), "post",
          "/groups/join")  # fmt: skip
    check(room.post("/groups/join", s, {"join_code": "WRONG"}), "post", "/groups/join")
    check(room.get(f"/groups/{slug}", t), "get", "/groups/{slug}")
    check(room.get(f"/groups/{slug}", s), "get", "/groups/{slug}")
    check(room.get("/groups/nope", s), "get", "/groups/{slug}")
    check(room.patch(f"/groups/{slug}", t, {"premoderation": {"mode": "all"}}), "patch",
          "/groups/{slug}")  # fmt: skip
    check(room.patch(f"/groups/{slug}", s, {"name": "x"}), "patch", "/groups/{slug}")
    check(room.post(f"/groups/{slug}/join-code", t), "post", "/groups/{slug}/join-code")
    check(room.post(f"/groups/{slug}/articles", t, {"article": "second", "due": "2031-01-01"}),
          "post", "/groups/{slug}/articles")  # fmt: skip
    check(room.delete(f"/groups/{slug}/articles/second", t), "delete",
          "/groups/{slug}/articles/{article}")  # fmt: skip
    member = "/groups/{slug}/members/{username}"
    check(room.patch(f"/groups/{slug}/members/peer", t, {"role": "instructor"}), "patch", member)
    check(room.patch(f"/groups/{slug}/members/peer", t, {"role": "member"}), "patch", member)
    check(room.patch(f"/groups/{slug}/members/nobody", t, {"role": "member"}), "patch", member)
    suspension = f"/groups/{slug}/members/peer/suspension"
    check(room.post(suspension, t, {"days": 1}), "post", f"{member}/suspension")
    check(room.delete(suspension, t), "delete", f"{member}/suspension")
    check(room.delete(suspension, t), "delete", f"{member}/suspension")
    check(room.delete(f"/groups/{slug}/members/peer", t), "delete", member)
    check(room.post(f"/groups/{slug}/members/peer/restore", t), "post", f"{member}/restore")

    one = "/annotations/{annotation_id}"
    check(room.post(f"/annotations/{note}/flags", room.peer, {"reason": "spam"}), "post",
          f"{one}/flags")  # fmt: skip
    check(room.post(f"/annotations/{note}/flags", room.peer, {"reason": "spam"}), "post",
          f"{one}/flags")  # fmt: skip
    check(room.get(f"/groups/{slug}/moderation/queue", t), "get", "/groups/{slug}/moderation/queue")
    check(room.get(f"/groups/{slug}/moderation/queue", s), "get", "/groups/{slug}/moderation/queue")
    check(room.post(f"/annotations/{note}/moderation", t, {"action": "hide", "reason": "r"}),
          "post", f"{one}/moderation")  # fmt: skip
    check(room.post(f"/annotations/{note}/moderation", t, {"action": "hide"}), "post",
          f"{one}/moderation")  # fmt: skip
    check(room.get(f"/annotations/{note}", s), "get", one)
    check(room.get(f"/groups/{slug}/moderation/log?limit=2", t), "get",
          "/groups/{slug}/moderation/log")  # fmt: skip
    check(room.post(f"/annotations/{note}/feedback", t, {"body": "Good"}), "post",
          f"{one}/feedback")  # fmt: skip
    check(room.get(f"/annotations/{note}/feedback", s), "get", f"{one}/feedback")
    check(room.get("/notifications", s), "get", "/notifications")
    check(room.get("/notifications?unread=maybe", s), "get", "/notifications")
    check(room.get("/notifications/count", t), "get", "/notifications/count")
    check(room.post("/notifications/read", s, {"ids": [1, 2]}), "post", "/notifications/read")
    check(room.post(f"/groups/{slug}/leave", s), "post", "/groups/{slug}/leave")
    check(room.post(f"/groups/{slug}/leave", t), "post", "/groups/{slug}/leave")


def test_deleting_an_annotation_twice_answers_a_documented_409(room: Classroom, doc) -> None:
    check = Checker(doc)
    path = f"/annotations/{room.note.id}"
    check(room.delete(path, room.student), "delete", "/annotations/{annotation_id}")
    again = room.delete(path, room.student)
    assert again.status_code == 409
    check(again, "delete", "/annotations/{annotation_id}")
