"""GET /api/v1/articles and /articles/<slug>: shapes, reading order, caller-aware counts."""

from __future__ import annotations

from datetime import date

from app.extensions import db
from app.models import AnnotationStatus
from app.services.annotations import NewAnnotation, post_annotation
from tests.factories import Factories
from tests.functional.api.conftest import API


def _discussion(make):  # type: ignore[no-untyped-def]
    """An article with public, private, hidden and deleted annotations; returns (article, me)."""
    me, other = make.user("reader"), make.user("writer")
    article = make.article(slug="essay", title="Essay", published=date(2024, 5, 1))
    make.annotation(other, article, anchor="p2", kind="question")
    make.annotation(other, article, anchor="p2", kind="support")
    make.annotation(other, article, anchor="p3", kind="question")
    hidden = make.annotation(other, article, anchor="p3")
    deleted = make.annotation(other, article, anchor="p3")
    hidden.status, deleted.status = AnnotationStatus.HIDDEN, AnnotationStatus.DELETED
    post_annotation(me, article, NewAnnotation("p2", "comment", "mine alone", private=True))
    db.session.commit()
    return article, me


def test_articles_list_has_the_contract_fields_and_counts_what_anyone_sees(client, make) -> None:
    _discussion(make)
    response = client.get(f"{API}/articles")
    assert response.status_code == 200
    assert response.get_json() == {
        "items": [
            {
                "slug": "essay",
                "title": "Essay",
                "author": "A. Writer",
                "published": "2024-05-01",
                "source_url": None,
                "block_count": 4,
                "annotation_count": 3,
            }
        ],
        "next": None,
    }


def test_articles_list_counts_the_callers_private_notes_for_the_caller_only(
    client, make, bearer
) -> None:
    _, me = _discussion(make)
    mine = client.get(f"{API}/articles", headers=bearer(me)).get_json()
    assert mine["items"][0]["annotation_count"] == 4


def test_article_detail_lists_blocks_in_reading_order_with_text_html_and_counts(
    client, make
) -> None:
    _discussion(make)
    response = client.get(f"{API}/articles/essay")
    assert response.status_code == 200
    data = response.get_json()
    assert data["slug"] == "essay"
    assert (data["block_count"], data["annotation_count"]) == (4, 3)
    assert [b["anchor"] for b in data["blocks"]] == ["h1", "p2", "p3", "p4"]
    assert [b["position"] for b in data["blocks"]] == [0, 1, 2, 3]
    assert [b["kind"] for b in data["blocks"]] == ["heading", "paragraph", "paragraph", "paragraph"]
    p2 = data["blocks"][1]
    assert p2["text"].startswith("The first paragraph")
    assert p2["html"] == p2["text"]
    assert p2["counts"] == {"comment": 0, "counterargument": 0, "question": 1, "support": 1}
    # Hidden and deleted annotations are not counted, for anyone.
    assert data["blocks"][2]["counts"]["question"] == 1
    assert data["blocks"][2]["counts"]["comment"] == 0


def test_article_detail_counts_are_caller_aware(client, make, bearer) -> None:
    _, me = _discussion(make)
    data = client.get(f"{API}/articles/essay", headers=bearer(me)).get_json()
    assert data["blocks"][1]["counts"]["comment"] == 1
    assert data["annotation_count"] == 4


def test_unknown_article_is_a_json_404(client, make) -> None:
    for slug in ("nope", "nul%00byte"):
        response = client.get(f"{API}/articles/{slug}")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"


def test_articles_paginate_in_the_order_added_without_gaps_or_repeats(client, make) -> None:
    slugs = [make.article(slug=f"a{n}").slug for n in range(5)]
    seen, url = [], f"{API}/articles?limit=2"
    while url:
        page = client.get(url).get_json()
        assert len(page["items"]) <= 2
        seen += [item["slug"] for item in page["items"]]
        url = f"{API}/articles?limit=2&cursor={page['next']}" if page["next"] else None
    assert seen == slugs


def test_article_queries_do_not_grow_with_articles_or_blocks(app, client, count_queries) -> None:
    def measure(articles: int, blocks: int) -> tuple[int, int]:
        with app.app_context():
            user = Factories.user()
            for _ in range(articles):
                article = Factories.article(blocks=[("paragraph", "words")] * blocks)
                Factories.annotation(user, article, anchor="p1")
            slug = article.slug
        with count_queries() as listing:
            assert client.get(f"{API}/articles?limit=200").status_code == 200
        with count_queries() as detail:
            assert client.get(f"{API}/articles/{slug}").status_code == 200
        return len(listing), len(detail)

    small = measure(2, 3)
    assert measure(30, 60) == small
