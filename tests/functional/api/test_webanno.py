"""W3C Web Annotation JSON-LD: passes the Working Group's MUST assertions, round-trips, and an
import with any bad item creates nothing and names each problem."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import Annotation
from app.services.annotations import Quote
from tests.functional.api.classroom import Classroom, build_classroom, error

CHECKER = Path(__file__).resolve().parents[3] / ".." / "shared" / "tools" / "check-web-annotation"


@pytest.fixture
def room(make, client, bearer) -> Classroom:  # type: ignore[no-untyped-def]
    room = build_classroom(make, client, bearer)
    quoted = room.post_note(
        room.peer,
        "Which **numbers**?",
        kind="question",
        anchor="p3",
        quote={"exact": "numbers", "prefix": "with ", "suffix": ": 32%"},
    ).get_json()
    room.post_note(
        room.student, "The 32% figure.", parent=quoted["id"], kind="counterargument", anchor="p3"
    )
    room.post_note(room.peer, "Agreed.", kind="support", anchor="p4")
    return room


def _export(room: Classroom, user=None, query: str = "") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    group = f"group={room.group.slug}" if user is not None else ""
    response = room.get(f"/articles/essay/annotations.jsonld?{group}{query}", user)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/ld+json"
    return json.loads(response.get_data(as_text=True))


def _check(doc: dict[str, Any], tmp_path: Path) -> str:
    path = tmp_path / "export.jsonld"
    path.write_text(json.dumps(doc))
    done = subprocess.run(  # noqa: S603 - our own checker, on our own file
        [sys.executable, str(CHECKER), str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_export_passes_every_must_assertion_of_the_w3c_test_suite(
    room: Classroom, tmp_path: Path
) -> None:
    doc = _export(room, room.teacher)
    assert "4 annotation(s), 0 failed" in _check(doc, tmp_path)
    assert doc["type"] == "AnnotationCollection"
    assert doc["total"] == 4
    assert doc["first"]["type"] == "AnnotationPage"
    single = {"@context": doc["@context"], **doc["first"]["items"][0]}
    assert "1 annotation(s), 0 failed" in _check(single, tmp_path)


def test_a_later_page_and_an_empty_collection_pass_too(room: Classroom, tmp_path: Path) -> None:
    empty = _export(room)  # the public discussion: nothing in it
    assert empty["total"] == 0
    assert "first" not in empty
    _check(empty, tmp_path)
    page = _export(room, room.teacher, "&page=1")
    assert page["type"] == "AnnotationPage"
    assert page["items"] == []
    assert page["partOf"]["total"] == 4


def test_annotations_carry_motivation_stance_and_block_refined_selectors(room: Classroom) -> None:
    items = _export(room, room.teacher)["first"]["items"]
    by_body = {i["body"]["value"]: i for i in items}
    question = by_body["Which **numbers**?"]
    assert question["motivation"] == "questioning"
    assert question["cp:stance"] == "question"
    assert question["creator"]["nickname"] == "peer"
    assert question["body"]["format"] == "text/markdown"
    quote_sel, position_sel = question["target"]["selector"]
    assert question["target"]["source"].endswith("/articles/essay")
    assert quote_sel["type"] == position_sel["type"] == "FragmentSelector"
    assert quote_sel["value"] == "p3"
    assert quote_sel["refinedBy"] == {
        "type": "TextQuoteSelector", "exact": "numbers", "prefix": "with ", "suffix": ": 32%",
    }  # fmt: skip
    text = "The second paragraph offers evidence, with numbers: 32% and 69%."
    refined = position_sel["refinedBy"]
    assert text[refined["start"] : refined["end"]] == "numbers"
    reply = by_body["The 32% figure."]
    assert reply["motivation"] == "replying"
    assert reply["cp:stance"] == "counterargument"
    assert reply["target"] == question["id"]
    assert by_body["Agreed."]["motivation"] == "assessing"
    assert by_body["Agreed."]["cp:stance"] == "support"


def test_the_export_holds_only_what_the_caller_may_see(room: Classroom, make) -> None:  # type: ignore[no-untyped-def]
    make.annotation(room.outsider, room.article, body="Public view.")
    room.post_note(room.student, "Private zanzibar.", group=None, private=True)
    hidden = room.post_note(room.peer, "Hidden zanzibar.").get_json()["id"]
    room.post(f"/annotations/{hidden}/moderation", room.teacher, {"action": "hide"})
    public = _export(room, None)
    assert [i["body"]["value"] for i in public["first"]["items"]] == ["Public view."]
    for user in (room.student, room.teacher):
        text = json.dumps(_export(room, user))
        assert "zanzibar" not in text
    group_path = f"/articles/essay/annotations.jsonld?group={room.group.slug}"
    assert room.get(group_path, room.outsider).status_code == 404
    assert room.get(group_path).status_code == 404


def _shape(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What an annotation is, ids aside: replies named by the position of what they answer."""
    items = doc["first"]["items"]
    position = {item["id"]: n for n, item in enumerate(items)}
    return [
        (
            i["motivation"], i["cp:stance"], i["creator"]["nickname"], i["body"]["value"],
            i["created"],
            position[i["target"]] if isinstance(i["target"], str) else i["target"]["selector"],
        )
        for i in items
    ]  # fmt: skip


def test_export_then_import_into_a_fresh_copy_recreates_the_same_annotations(
    room: Classroom,
) -> None:
    before = _export(room, room.teacher)
    db.session.execute(delete(Annotation))
    db.session.commit()
    response = room.post(
        f"/articles/essay/annotations.jsonld?group={room.group.slug}", room.teacher, before
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["created"] == 4
    after = _export(room, room.teacher)
    assert _shape(after) == _shape(before)


UNICORNS = {
    "type": "FragmentSelector",
    "value": "p3",
    "refinedBy": {"type": "TextQuoteSelector", "exact": "unicorns"},
}


def _annotations() -> int:
    return db.session.scalar(select(func.count()).select_from(Annotation)) or 0


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda item: item["target"].update(source="http://x/articles/other"), "another article"),
        (lambda item: item["target"]["selector"][0].update(value="p99"), "no paragraph"),
        (lambda item: item["target"].update(selector=UNICORNS), "quote does not occur"),
        (lambda item: item.pop("body"), "no text"),
        (lambda item: item.update(type="Note"), "Not an Annotation"),
        (lambda item: item.update({"cp:stance": ["question"]}), "Unknown stance"),
        (lambda item: item.update(creator={"nickname": ["x"]}, body=None), "no text"),
        (lambda item: item["target"].update(selector=[]), "no selector"),
    ],
)
def test_one_bad_item_imports_nothing_and_is_named(room: Classroom, damage, problem: str) -> None:  # type: ignore[no-untyped-def]
    doc = _export(room, room.teacher)
    question = next(i for i in doc["first"]["items"] if i["cp:stance"] == "question")
    index = doc["first"]["items"].index(question)
    damage(question)
    count = _annotations()
    response = room.post(
        f"/articles/essay/annotations.jsonld?group={room.group.slug}", room.teacher, doc
    )
    assert response.status_code == 422, response.get_json()
    fields = error(response)["fields"]
    assert problem in fields[f"items[{index}]"]
    assert _annotations() == count


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("{not json", 400),
        ("[1, 2]", 422),
        ('{"type": "AnnotationCollection", "first": "http://x/page2"}', 422),
        ('{"type": "AnnotationCollection", "first": {"items": []}}', 422),
        ('{"type": "AnnotationPage", "items": "x"}', 422),
        ('{"type": "Annotation", "body": {"value": "x"}, "target": 7}', 422),
        ('{"type": ["Annotation"], "bodyValue": "x", "motivation": {"a": 1}, "target": {}}', 422),
        ('{"type": {"x": 1}, "first": [], "items": {}}', 422),
    ],
)
def test_malformed_json_ld_is_a_clear_error(room: Classroom, body: str, status: int) -> None:
    count = _annotations()
    response = room.client.post(
        f"/api/v1/articles/essay/annotations.jsonld?group={room.group.slug}",
        data=body,
        headers={**room.as_(room.teacher), "Content-Type": "application/ld+json"},
    )
    assert response.status_code == status, response.get_data(as_text=True)
    assert "error" in response.get_json()
    assert _annotations() == count


def test_only_instructors_import_and_only_admins_into_the_public_discussion(
    room: Classroom, make
) -> None:  # type: ignore[no-untyped-def]
    doc = _export(room, room.teacher)
    path = f"/articles/essay/annotations.jsonld?group={room.group.slug}"
    assert room.post(path, room.student, doc).status_code == 403
    assert room.post("/articles/essay/annotations.jsonld", room.teacher, doc).status_code == 403
    admin = make.user("root", role="admin")
    assert room.post("/articles/essay/annotations.jsonld", admin, doc).status_code == 201


def test_a_quote_only_target_finds_its_paragraph(room: Classroom, make) -> None:  # type: ignore[no-untyped-def]
    note = make.annotation(room.peer, room.article, anchor="p4", quote=Quote("too quickly"))
    del note
    doc = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "bodyValue": "Hasty?",
        "motivation": "questioning",
        "target": {
            "source": "http://elsewhere.example/articles/essay",
            "selector": {"type": "TextQuoteSelector", "exact": "too quickly"},
        },
    }
    response = room.post(f"/articles/essay/annotations.jsonld?group={room.group.slug}",
                         room.teacher, doc)  # fmt: skip
    assert response.status_code == 201, response.get_json()
    made = room.get(f"/annotations/{response.get_json()['items'][0]['id']}", room.teacher)
    assert (made.get_json()["anchor"], made.get_json()["kind"]) == ("p4", "question")
    assert made.get_json()["quote"]["exact"] == "too quickly"


def test_exported_ids_are_built_on_public_url_not_on_the_request_s_host(
    app, room: Classroom
) -> None:  # type: ignore[no-untyped-def]
    # Ids are meant to last; a request that came in under another trusted name changes none.
    app.config["PUBLIC_URL"] = "https://cp.example.edu"
    try:
        doc = _export(room, room.teacher)
    finally:
        app.config["PUBLIC_URL"] = None
    ids = [doc["id"], *(item["id"] for item in doc["first"]["items"])]
    assert len(ids) == 5  # the collection and its four annotations
    assert all(i.startswith("https://cp.example.edu/") for i in ids), ids
