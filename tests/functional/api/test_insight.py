"""Participation, the gradebook and the CSV/JSON exports: right numbers, nothing leaked."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import Annotation, HelpfulMark, Reading
from app.services.annotations import NewAnnotation, post_annotation
from tests.functional.api.classroom import Classroom, build_classroom, error

API = "/api/v1"


@pytest.fixture
def room(make, client, bearer) -> Classroom:  # type: ignore[no-untyped-def]
    return build_classroom(make, client, bearer)


def _by_user(page: dict) -> dict[str, dict]:
    return {row["username"]: row for row in page["items"]}


def _set_created(note_id: int, when: datetime) -> None:
    db.session.execute(update(Annotation).where(Annotation.id == note_id).values(created_at=when))
    db.session.commit()


def test_participation_counts_kinds_words_replies_helpful_marks_and_activity(
    room: Classroom,
) -> None:
    question = room.post_note(room.student, "Why would that be so?", kind="question")
    reply = room.post_note(room.peer, "Because of tariffs.", parent=question.get_json()["id"])
    room.post_note(room.student, "Thanks, that helps.", parent=reply.get_json()["id"])
    db.session.add(HelpfulMark(annotation_id=room.note.id, user_id=room.peer.id))
    db.session.add(HelpfulMark(annotation_id=room.note.id, user_id=room.teacher.id))
    db.session.commit()
    # Nothing held, hidden or private counts; nor does another group's note.
    hidden = room.post_note(room.student, "Soon hidden words here.").get_json()["id"]
    room.post(f"/annotations/{hidden}/moderation", room.teacher, {"action": "hide"})
    room.post_note(room.student, "My own private words.", group=None, private=True)

    page = room.get(f"/groups/{room.group.slug}/participation", room.teacher)
    assert page.status_code == 200, page.get_json()
    rows = _by_user(page.get_json())
    student = rows["student"]
    assert student["counts"] == {"comment": 2, "counterargument": 0, "question": 1, "support": 0}
    assert student["words"] == 6 + 5 + 3  # the group note, the question, the thanks
    assert student["replies_given"] == 1
    assert student["replies_received"] == 1
    assert student["helpful_received"] == 2
    assert student["first"] <= student["last"]
    assert rows["peer"]["replies_given"] == rows["peer"]["replies_received"] == 1
    assert rows["teacher"]["role"] == "instructor"
    assert rows["teacher"]["first"] is None
    assert list(rows)[-1] == "teacher"  # members first, then instructors


def test_participation_for_a_reading_says_who_posted_by_the_due_date(room: Classroom) -> None:
    db.session.execute(update(Reading).values(due_on=date(2030, 1, 10)))
    db.session.commit()
    late = room.post_note(room.peer, "Late thoughts.").get_json()["id"]
    _set_created(late, datetime(2030, 1, 11, 0, 0, 1, tzinfo=UTC))
    _set_created(room.note.id, datetime(2030, 1, 10, 23, 59, tzinfo=UTC))
    page = room.get(f"/groups/{room.group.slug}/participation?article=essay", room.teacher)
    body = page.get_json()
    assert (body["article"], body["due"]) == ("essay", "2030-01-10")
    rows = _by_user(body)
    assert (rows["student"]["on_time"], rows["peer"]["on_time"]) == (True, False)
    overall = room.get(f"/groups/{room.group.slug}/participation", room.teacher).get_json()
    assert _by_user(overall)["student"]["on_time"] is None


def test_participation_of_an_unassigned_article_or_with_an_unknown_filter_is_refused(
    room: Classroom, make
) -> None:  # type: ignore[no-untyped-def]
    make.article(slug="unread")
    base = f"/groups/{room.group.slug}/participation"
    assert room.get(f"{base}?article=unread", room.teacher).status_code == 404
    unknown = room.get(f"{base}?colour=red", room.teacher)
    assert unknown.status_code == 422
    assert "colour" in error(unknown)["fields"]


def test_only_the_groups_instructors_see_participation(room: Classroom) -> None:
    path = f"/groups/{room.group.slug}/participation"
    assert room.get(path, room.student).status_code == 403
    assert room.get(path, room.outsider).status_code == 404
    assert room.get(path).status_code == 401


def test_the_participation_report_runs_a_constant_number_of_statements(
    room: Classroom, make, count_queries
) -> None:  # type: ignore[no-untyped-def]
    headers = room.as_(room.teacher)
    path = f"{API}/groups/{room.group.slug}/participation?article=essay"

    def statements() -> int:
        with count_queries() as counted:
            assert room.client.get(path, headers=headers).status_code == 200
        return len(counted)

    small = statements()
    for n in range(12):
        member = make.user(f"extra{n}")
        make.groups.join(member, room.group)
        note = make.groups.group_note(member, room.article, room.group, body=f"Note {n}.")
        make.groups.group_note(room.student, room.article, room.group, parent=note)
    assert statements() == small


def _csv(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_gradebook_has_one_row_per_member_and_neutralises_formulas(
    room: Classroom, make
) -> None:  # type: ignore[no-untyped-def]
    sly = make.user("sly", display_name='=HYPERLINK("http://evil")')
    make.groups.join(sly, room.group)
    response = room.get(f"/groups/{room.group.slug}/export.csv", room.teacher)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = {r["username"]: r for r in _csv(response)}
    assert set(rows) == {"student", "peer", "teacher", "sly"}
    assert rows["student"]["comments"] == "1"
    assert rows["student"]["words"] == "6"
    assert rows["sly"]["display_name"] == '\'=HYPERLINK("http://evil")'
    assert room.get(f"/groups/{room.group.slug}/export.csv", room.peer).status_code == 403


def test_the_annotations_csv_and_json_hold_the_groups_discussion_and_nothing_else(
    room: Classroom, make
) -> None:  # type: ignore[no-untyped-def]
    room.post_note(room.peer, "+1 -2 @me =SUM(A1)")
    room.post_note(room.peer, "Private zanzibar.", group=None, private=True)
    other = make.groups.group(make.user("other_t", role="instructor"), "Other", (room.article,))
    post_annotation(
        room.outsider, room.article, NewAnnotation("p2", "comment", "zanzibar", group_slug=None)
    )
    db.session.commit()
    path = f"/articles/essay/annotations.csv?group={room.group.slug}"
    rows = _csv(room.get(path, room.teacher))
    assert [r["body"] for r in rows] == ["A bold claim for the group.", "'+1 -2 @me =SUM(A1)"]
    assert {r["group"] for r in rows} == {room.group.slug}
    listed = room.get(f"/articles/essay/annotations.json?group={room.group.slug}", room.teacher)
    body = json.loads(listed.get_data(as_text=True))
    assert body["group"] == room.group.slug
    bodies = [i["body"] for i in body["items"]]
    assert bodies == ["A bold claim for the group.", "+1 -2 @me =SUM(A1)"]
    assert "zanzibar" not in listed.get_data(as_text=True)
    # Another group's instructor, a member, a stranger: refused; the public one is the admins'.
    assert room.get(path, room.student).status_code == 403
    theirs = f"/articles/essay/annotations.csv?group={other.slug}"
    assert room.get(theirs, room.teacher).status_code == 404
    assert room.get("/articles/essay/annotations.csv", room.teacher).status_code == 403
    admin = make.user("root", role="admin")
    public = _csv(room.get("/articles/essay/annotations.csv", admin))
    assert [r["body"] for r in public] == ["zanzibar"]


def test_search_participation_and_import_answer_as_the_openapi_document_says(
    room: Classroom,
) -> None:
    from tests.functional.api.test_openapi import Checker

    check = Checker(room.client.get(f"{API}/openapi.json").get_json())
    group = room.group.slug
    check(room.get(f"/groups/{group}/participation", room.teacher), "get",
          "/groups/{slug}/participation")  # fmt: skip
    check(room.get(f"/groups/{group}/participation", room.student), "get",
          "/groups/{slug}/participation")  # fmt: skip
    check(room.get("/search?q=claim", room.student), "get", "/search")
    check(room.get("/search?q=", room.student), "get", "/search")
    check(room.get("/articles/essay/annotations?q=claim", room.student), "get",
          "/articles/{slug}/annotations")  # fmt: skip
    doc = room.get(f"/articles/essay/annotations.jsonld?group={group}", room.teacher)
    body = json.loads(doc.get_data(as_text=True))
    path = f"/articles/essay/annotations.jsonld?group={group}"
    check(room.post(path, room.teacher, body), "post", "/articles/{slug}/annotations.jsonld")
    check(room.post(path, room.teacher, {"type": "Annotation"}), "post",
          "/articles/{slug}/annotations.jsonld")  # fmt: skip
