"""Reading annotations: the shape, filters, keyset pagination, visibility and query counts."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from app.extensions import db
from app.models import AnnotationStatus
from app.services.annotations import NewAnnotation, Quote, post_annotation
from tests.factories import Factories
from tests.functional.api.conftest import API

CONTRACT_KEYS = {
    "id", "article", "anchor", "kind", "body", "body_html", "parent", "quote", "group",
    "author", "created", "updated", "status", "reply_count", "helpful_count", "helpful_by_me",
    "orphaned", "quote_range",
}  # fmt: skip
# Documented extensions of the contract's shape (moderation state).
EXTENSION_KEYS = {"pinned", "locked", "moderation_reason", "is_answer"}


def _list(client, query: str = "", slug: str = "essay", **kw):  # type: ignore[no-untyped-def]
    response = client.get(f"{API}/articles/{slug}/annotations{query}", **kw)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_an_annotation_has_exactly_the_contract_fields_and_the_documented_extensions(
    client, make
) -> None:
    ada = make.user("ada", display_name="Ada L.")
    article = make.article(slug="essay")
    root = make.annotation(ada, article, anchor="p2", quote=Quote("a claim", "makes ", " that"))
    reply = make.annotation(ada, article, anchor="p2", parent=root, kind="support")
    response = client.get(f"{API}/annotations/{root.id}")
    assert response.status_code == 200
    data = response.get_json()
    assert set(data) == CONTRACT_KEYS | EXTENSION_KEYS
    assert data | {"created": None, "updated": None} == {
        "id": root.id,
        "article": "essay",
        "anchor": "p2",
        "kind": "comment",
        "body": "A thought.",
        "body_html": "<p>A thought.</p>",
        "parent": None,
        "quote": {"exact": "a claim", "prefix": "makes ", "suffix": " that"},
        # "The first paragraph makes a claim ...": the quote's code points 26–33.
        "quote_range": {"start": 26, "end": 33},
        "orphaned": False,
        "group": None,
        "author": {"username": "ada", "display_name": "Ada L."},
        "created": None,
        "updated": None,
        "status": "visible",
        "reply_count": 1,
        "helpful_count": 0,
        "helpful_by_me": False,
        "is_answer": False,
        "pinned": False,
        "locked": False,
        "moderation_reason": None,
    }
    assert data["created"].endswith("Z")
    assert data["created"] == data["updated"]
    assert client.get(f"{API}/annotations/{reply.id}").get_json()["parent"] == root.id


def test_unknown_or_out_of_range_annotation_id_is_a_json_404(client) -> None:
    for path in ("999999", "99999999999999999999", "abc", "-1"):
        response = client.get(f"{API}/annotations/{path}")
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"


def test_list_is_oldest_first_across_blocks(client, make) -> None:
    ada, article = make.user(), make.article(slug="essay")
    ids = [make.annotation(ada, article, anchor=a).id for a in ("p3", "p2", "h1")]
    page = _list(client)
    assert [item["id"] for item in page["items"]] == ids
    assert page["next"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?anchor=p2", ["ada-p2-comment", "bob-p2-question"]),
        ("?kind=question", ["bob-p2-question", "bob-p3-question"]),
        ("?author=bob", ["bob-p2-question", "bob-p3-question"]),
        ("?author=BOB", ["bob-p2-question", "bob-p3-question"]),
        ("?anchor=p3&kind=question&author=bob", ["bob-p3-question"]),
        ("?anchor=nowhere", []),
        ("?author=nobody", []),
        ("?group=seminar", []),
    ],
)
def test_filters_narrow_the_list(client, make, query: str, expected: list[str]) -> None:
    ada, bob = make.user("ada"), make.user("bob")
    article = make.article(slug="essay")
    for author, anchor, kind in [(ada, "p2", "comment"), (bob, "p2", "question"),
                                 (bob, "p3", "question")]:  # fmt: skip
        make.annotation(
            author, article, anchor=anchor, kind=kind, body=f"{author.username}-{anchor}-{kind}"
        )
    assert [item["body"] for item in _list(client, query)["items"]] == expected


def test_list_of_an_unknown_article_is_404(client) -> None:
    assert client.get(f"{API}/articles/nope/annotations").status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?kind=rant", "kind"),
        ("?limit=0", "limit"),
        ("?limit=201", "limit"),
        ("?limit=ten", "limit"),
        ("?limit=2.5", "limit"),
        ("?cursor=garbage!", "cursor"),
        ("?cursor=bm90LWEtY3Vyc29y", "cursor"),  # valid base64 of something else
        ("?cursor=djE6LTE", "cursor"),  # base64 of "v1:-1"
        ("?cursor=0", "cursor"),
        ("?cursor=2147483648", "cursor"),  # past the largest id
        ("?cursor=", "cursor"),  # empty: not a cursor, as the schema says
        ("?limit=", "limit"),
        ("?kind=", "kind"),
        ("?anchor=%00", "anchor"),
    ],
)
def test_bad_query_parameters_are_422_naming_the_parameter(
    client, make, query: str, field: str
) -> None:
    make.article(slug="essay")
    response = client.get(f"{API}/articles/essay/annotations{query}")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation"
    assert set(error["fields"]) == {field}


def test_the_documented_cursor_pattern_accepts_exactly_what_the_api_accepts(client, make) -> None:
    make.article(slug="essay")
    document = client.get(f"{API}/openapi.json").get_json()
    parameters = document["paths"]["/articles/{slug}/annotations"]["get"]["parameters"]
    pattern = re.compile(next(p for p in parameters if p["name"] == "cursor")["schema"]["pattern"])
    for cursor in ("1", "17", "2147483647", "0", "01", "-1", "2147483648", "", "x", "1 "):
        status = client.get(f"{API}/articles/essay/annotations?cursor={quote(cursor)}").status_code
        assert (status == 200) == bool(pattern.search(cursor)), cursor


def test_pages_cover_every_annotation_once_with_a_null_next_at_the_end(client, make) -> None:
    ada, article = make.user(), make.article(slug="essay")
    ids = [make.annotation(ada, article, anchor=f"p{2 + n % 3}").id for n in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        page = _list(client, f"?limit=3{f'&cursor={cursor}' if cursor else ''}")
        pages += 1
        seen += [item["id"] for item in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == ids
    assert pages == 3


def test_a_page_that_ends_exactly_at_the_last_item_has_a_null_next(client, make) -> None:
    ada, article = make.user(), make.article(slug="essay")
    for _ in range(4):
        make.annotation(ada, article)
    first = _list(client, "?limit=2")
    second = _list(client, f"?limit=2&cursor={first['next']}")
    assert len(second["items"]) == 2
    assert second["next"] is None


def test_pagination_keeps_its_place_when_new_annotations_arrive(client, make) -> None:
    ada, article = make.user(), make.article(slug="essay")
    first_ids = [make.annotation(ada, article).id for _ in range(3)]
    first = _list(client, "?limit=2")
    late = make.annotation(ada, article).id
    rest = _list(client, f"?limit=10&cursor={first['next']}")
    assert [i["id"] for i in first["items"] + rest["items"]] == [*first_ids, late]


def test_pagination_respects_filters(client, make) -> None:
    ada, article = make.user(), make.article(slug="essay")
    wanted = [make.annotation(ada, article, kind=k).id for k in ["question", "comment"] * 3][::2]
    first = _list(client, "?kind=question&limit=2")
    rest = _list(client, f"?kind=question&limit=2&cursor={first['next']}")
    assert [i["id"] for i in first["items"] + rest["items"]] == wanted
    assert rest["next"] is None


def test_others_private_notes_are_absent_from_lists_and_404_in_detail(client, make, bearer) -> None:
    me, other = make.user(), make.user()
    article = make.article(slug="essay")
    note = post_annotation(me, article, NewAnnotation("p2", "comment", "mine", private=True))
    db.session.commit()
    assert _list(client, headers=bearer(other))["items"] == []
    assert client.get(f"{API}/annotations/{note.id}", headers=bearer(other)).status_code == 404
    assert client.get(f"{API}/annotations/{note.id}").status_code == 404
    assert [i["id"] for i in _list(client, headers=bearer(me))["items"]] == [note.id]


def test_a_hidden_annotation_is_a_placeholder_for_others_but_its_author_sees_the_body(
    client, make, bearer
) -> None:
    author, reader = make.user(), make.user()
    note = make.annotation(author, make.article(slug="essay"), body="Out of line")
    note.status = AnnotationStatus.HIDDEN
    db.session.commit()
    for headers in ({}, bearer(reader)):
        shown = _list(client, headers=headers)["items"][0]
        assert (shown["status"], shown["body"], shown["body_html"]) == ("hidden", None, None)
    own = client.get(f"{API}/annotations/{note.id}", headers=bearer(author)).get_json()
    assert (own["status"], own["body"]) == ("hidden", "Out of line")


def test_a_deleted_annotation_keeps_its_place_with_no_body_for_anyone(client, make, bearer) -> None:
    author = make.user()
    note = make.annotation(author, make.article(slug="essay"))
    note.status = AnnotationStatus.DELETED
    db.session.commit()
    for headers in ({}, bearer(author)):
        shown = client.get(f"{API}/annotations/{note.id}", headers=headers).get_json()
        assert (shown["status"], shown["body"], shown["body_html"]) == ("deleted", None, None)


def test_a_pending_annotation_is_shown_as_pending_to_its_author_alone(client, make, bearer) -> None:
    author, reader = make.user(), make.user()
    note = make.annotation(author, make.article(slug="essay"), body="Awaiting approval")
    note.status = AnnotationStatus.PENDING
    db.session.commit()
    own = client.get(f"{API}/annotations/{note.id}", headers=bearer(author)).get_json()
    assert (own["status"], own["body"]) == ("pending", "Awaiting approval")
    assert _list(client, headers=bearer(reader))["items"] == []
    assert client.get(f"{API}/annotations/{note.id}", headers=bearer(reader)).status_code == 404


@pytest.mark.parametrize("signed_in", [False, True])
def test_list_query_count_is_the_same_for_5_and_100_annotations(
    app, client, count_queries, bearer, signed_in: bool
) -> None:
    def measure(n: int) -> int:
        with app.app_context():
            # Many authors and blocks, so an N+1 on either would show.
            authors = [Factories.user() for _ in range(min(n, 10))]
            article = Factories.article()
            for i in range(n):
                Factories.annotation(authors[i % len(authors)], article, anchor=f"p{2 + i % 3}")
            slug = article.slug
            headers = bearer(authors[0]) if signed_in else {}
        with count_queries() as queries:
            page = client.get(f"{API}/articles/{slug}/annotations?limit=200", headers=headers)
        assert len(page.get_json()["items"]) == n
        return len(queries)

    assert measure(5) == measure(100)
