"""Private feedback through the API: instructors write it, the author and instructors read it."""

from __future__ import annotations

import pytest

from tests.functional.api.classroom import Classroom, build_classroom, error


@pytest.fixture
def room(make, client, bearer) -> Classroom:  # type: ignore[no-untyped-def]
    return build_classroom(make, client, bearer)


def _path(room: Classroom) -> str:
    return f"/annotations/{room.note.id}/feedback"


def test_an_instructors_feedback_is_read_by_the_author_and_instructors_alone(
    room: Classroom,
) -> None:
    given = room.post(_path(room), room.teacher, {"body": "Cite *a source* next time."})
    assert given.status_code == 201, given.get_json()
    body = given.get_json()
    assert body | {"id": None, "created": None} == {
        "id": None, "annotation": room.note.id, "body": "Cite *a source* next time.",
        "body_html": "<p>Cite <em>a source</em> next time.</p>",
        "author": {"username": "teacher", "display_name": "Ms. Teacher"}, "created": None,
    }  # fmt: skip
    for reader in (room.student, room.teacher):
        page = room.get(_path(room), reader).get_json()
        assert ([f["id"] for f in page["items"]], page["next"]) == ([body["id"]], None)
    refused = room.get(_path(room), room.peer)
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (403, "forbidden")
    assert room.get(_path(room), room.outsider).status_code == 404


def test_members_cannot_give_feedback_and_public_annotations_take_none(
    room: Classroom, make
) -> None:
    assert room.post(_path(room), room.peer, {"body": "Nice"}).status_code == 403
    assert room.post(_path(room), room.student, {"body": "Nice"}).status_code == 403
    public = make.annotation(room.student, room.article)
    response = room.post(f"/annotations/{public.id}/feedback", room.teacher, {"body": "Nice"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "body"), ({"body": "   "}, "body"), ({"body": "x" * 10_001}, "body")],
)
def test_feedback_needs_a_body_of_1_to_10000_characters(
    room: Classroom, payload: dict, field: str
) -> None:
    response = room.post(_path(room), room.teacher, payload)
    assert response.status_code == 422
    assert set(error(response)["fields"]) == {field}


def test_feedback_pages_oldest_first(room: Classroom) -> None:
    ids = [room.post(_path(room), room.teacher, {"body": f"Note {n}"}).get_json()["id"]
           for n in range(3)]  # fmt: skip
    first = room.get(f"{_path(room)}?limit=2", room.student).get_json()
    rest = room.get(f"{_path(room)}?limit=2&cursor={first['next']}", room.student).get_json()
    assert [f["id"] for f in first["items"] + rest["items"]] == ids
    assert rest["next"] is None
