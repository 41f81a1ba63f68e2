"""Full-text search: ranked, highlighted, filtered, kept right by every write, and never a leak."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, text, update

from app.extensions import db
from app.models import Block
from tests.functional.api.classroom import Classroom, build_classroom, error


@pytest.fixture
def room(make, client, bearer) -> Classroom:  # type: ignore[no-untyped-def]
    return build_classroom(make, client, bearer)


def _search(room: Classroom, query: str, user=None, **filters: str):  # type: ignore[no-untyped-def]
    params = "&".join(f"{k}={v}" for k, v in {"q": query, **filters}.items())
    response = room.get(f"/search?{params}", user)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _ids(page: dict) -> list[int]:
    return [item["id"] for item in page["items"]]


def test_search_finds_word_stems_ranks_the_best_match_first_and_marks_the_words(
    room: Classroom,
) -> None:
    once = room.post_note(room.student, "Arguing about tariffs is fun.").get_json()["id"]
    twice = room.post_note(room.peer, "Tariffs, tariffs and more tariffs argued.").get_json()["id"]
    room.post_note(room.peer, "Nothing to see here.")
    page = _search(room, "argue tariff", room.teacher)
    assert _ids(page) == [twice, once]
    assert "<mark>" in page["items"][0]["snippet"]
    assert page["items"][0]["snippet"].count("<mark>") >= 2


def test_snippets_escape_the_body_and_mark_only_the_matched_words(room: Classroom) -> None:
    room.post_note(room.student, "<script>alert(1)</script> tariff")
    room.post_note(room.student, "Levy & duty < 3 > 2.")
    snippet = _search(room, "tariff", room.student)["items"][0]["snippet"]
    assert "<script>" not in snippet
    assert "<mark>tariff</mark>" in snippet
    snippet = _search(room, "levy", room.student)["items"][0]["snippet"]
    assert "&amp; duty" in snippet  # PostgreSQL's headline drops what looks like a tag
    assert "<mark>Levy</mark>" in snippet


def test_search_filters_by_kind_author_group_article_and_date(room: Classroom, make) -> None:  # type: ignore[no-untyped-def]
    question = room.post_note(room.student, "Why tariffs?", kind="question").get_json()["id"]
    comment = room.post_note(room.peer, "Tariffs again.").get_json()["id"]
    other = make.article(slug="other")
    public = make.annotation(room.peer, other, body="Public tariffs.").id
    teacher = room.teacher
    assert _ids(_search(room, "tariffs", teacher, kind="question")) == [question]
    assert set(_ids(_search(room, "tariffs", teacher, author="peer"))) == {comment, public}
    assert set(_ids(_search(room, "tariffs", teacher, group=room.group.slug))) == {
        question,
        comment,
    }
    assert _ids(_search(room, "tariffs", teacher, article="other")) == [public]
    assert _ids(_search(room, "tariffs", teacher, since="2001-01-01", until="2001-12-31")) == []
    assert len(_ids(_search(room, "tariffs", teacher, since="2001-01-01"))) == 3


def test_search_pages_through_results_with_an_opaque_cursor(room: Classroom) -> None:
    made = {room.post_note(room.student, f"Tariff {n}.").get_json()["id"] for n in range(5)}
    first = _search(room, "tariff", room.student, limit="3")
    second = _search(room, "tariff", room.student, limit="3", cursor=first["next"])
    assert second["next"] is None
    assert set(_ids(first)) | set(_ids(second)) == made
    assert second["passages"] == []


def test_search_finds_article_text_as_passages(room: Classroom) -> None:
    page = _search(room, "evidence numbers")
    assert page["passages"] == [
        {
            "article": "essay",
            "anchor": "p3",
            "snippet": page["passages"][0]["snippet"],
        }
    ]
    assert "<mark>evidence</mark>" in page["passages"][0]["snippet"]


@pytest.mark.parametrize(
    "query",
    ['"tariff', "tariff*", "(tariff", "tariff)", "NEAR(tariff)", "tariff AND", "body:tariff", "-"],
)
def test_fts_syntax_characters_are_plain_text_never_an_error(room: Classroom, query: str) -> None:
    room.post_note(room.student, "A tariff.")
    response = room.get(f"/search?q={query}", room.student)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(response.get_json()["items"]) <= 1  # "-" alone has no word: nothing found


@pytest.mark.parametrize("query", ["x" * 201, "x" * 1000])
def test_an_overlong_query_is_a_clear_422(room: Classroom, query: str) -> None:
    response = room.get(f"/search?q={query}", room.student)
    assert response.status_code == 422
    assert error(response)["code"] == "validation"


@pytest.mark.parametrize(
    "path", ["/search?q=", "/search?q=%20%20", "/search?q=?!", "/articles/essay/annotations?q=-"]
)
def test_a_query_without_words_finds_nothing(room: Classroom, path: str) -> None:
    # The document allows any text up to 200 characters, so the API answers it (issue 15).
    room.post_note(room.student, "A tariff.")
    response = room.get(path, room.student)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["items"] == []


@pytest.mark.parametrize(
    "path", ["/search?q=tariff&colour=red", "/articles/essay/annotations?q=tariff&colour=red"]
)
def test_an_unknown_filter_is_a_422_never_ignored(room: Classroom, path: str) -> None:
    response = room.get(path, room.student)
    assert response.status_code == 422
    assert "colour" in error(response)["fields"]


def test_q_on_an_article_searches_within_it_and_keeps_its_other_filters(
    room: Classroom, make
) -> None:  # type: ignore[no-untyped-def]
    here = room.post_note(room.student, "Tariff here.").get_json()["id"]
    room.post_note(room.student, "Tariff on p3.", anchor="p3")
    make.annotation(room.peer, make.article(slug="elsewhere"), body="Tariff elsewhere.")
    page = room.get("/articles/essay/annotations?q=tariff&anchor=p2", room.student).get_json()
    assert _ids(page) == [here]
    assert "snippet" in page["items"][0]


def test_the_index_follows_edits_deletes_and_moderation(room: Classroom) -> None:
    note = room.post_note(room.student, "Original wording.").get_json()["id"]
    room.patch(f"/annotations/{note}", room.student, {"body": "Revised phrasing."})
    assert _ids(_search(room, "original", room.student)) == []
    assert _ids(_search(room, "phrasing", room.student)) == [note]
    room.post(f"/annotations/{note}/moderation", room.teacher, {"action": "hide"})
    assert _ids(_search(room, "phrasing", room.teacher)) == []
    room.post(f"/annotations/{note}/moderation", room.teacher, {"action": "unhide"})
    assert _ids(_search(room, "phrasing", room.teacher)) == [note]
    assert room.delete(f"/annotations/{note}", room.student).status_code == 204
    assert _ids(_search(room, "phrasing", room.student)) == []


def test_the_passage_index_follows_revised_and_removed_blocks(room: Classroom) -> None:
    # An article revision rewrites and removes blocks; the database keeps the index right.
    db.session.execute(update(Block).where(Block.anchor == "p4").values(text="Zebras conclude."))
    db.session.commit()
    assert [p["anchor"] for p in _search(room, "zebra")["passages"]] == ["p4"]
    assert _search(room, "concludes perhaps quickly")["passages"] == []
    db.session.execute(delete(Block).where(Block.anchor == "p4"))
    db.session.commit()
    assert _search(room, "zebra")["passages"] == []


def test_the_database_keeps_the_index_itself_at_the_head_migration(app_ctx) -> None:  # type: ignore[no-untyped-def]
    # A later batch migration that recreates `annotations` or `blocks` on SQLite drops their
    # triggers; this fails until it creates them again (see migration 0011).
    if db.engine.dialect.name == "sqlite":
        found = db.session.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        ).scalars()
        expected = {
            f"{t}_{s}" for t in ("annotations_fts", "blocks_fts") for s in ("ai", "ad", "au")
        }
    else:
        found = db.session.execute(text("SELECT indexname FROM pg_indexes")).scalars()
        expected = {"ix_annotations_body_fts", "ix_blocks_text_fts"}
    assert expected <= set(found)


def test_a_page_of_results_costs_the_same_statements_for_two_hits_or_twelve(
    room: Classroom, count_queries
) -> None:
    # Helpful marks are read once a page, not once a hit.
    def statements() -> tuple[int, int]:
        with count_queries() as queries:
            page = _search(room, "zebra", room.teacher)
        return len(page["items"]), len(queries)

    for _ in range(2):
        room.post_note(room.student, "A zebra crossed.")
    statements()  # the caller's first request reads its token once
    few, few_statements = statements()
    for _ in range(10):
        room.post_note(room.student, "Another zebra crossed.")
    statements()  # (each measure after one warm request, as above)
    many, many_statements = statements()
    assert (few, many) == (2, 12)
    assert many_statements == few_statements, (few_statements, many_statements)
