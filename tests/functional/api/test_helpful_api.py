"""Helpful marks through the API (CONTRACT §7): once per reader, never one's own, counted,
and `sort` on the article's annotation list."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Article
from tests.functional.api.conftest import API


def test_a_reader_marks_a_note_helpful_once_and_takes_it_back(client, make, bearer) -> None:
    author, reader = make.user(), make.user()
    article = make.article()
    note = make.annotation(author, article)
    url = f"{API}/annotations/{note.id}/helpful"
    before = db.session.scalar(select(Article.discussion_version).where(Article.id == article.id))

    first = client.post(url, headers=bearer(reader))
    again = client.post(url, headers=bearer(reader))

    assert first.status_code == 200
    assert (first.json["helpful_count"], first.json["helpful_by_me"]) == (1, True)
    assert (again.json["helpful_count"], again.json["helpful_by_me"]) == (1, True)
    as_author = client.get(f"{API}/annotations/{note.id}", headers=bearer(author)).json
    assert (as_author["helpful_count"], as_author["helpful_by_me"]) == (1, False)
    db.session.rollback()  # a fresh snapshot
    after = db.session.scalar(select(Article.discussion_version).where(Article.id == article.id))
    assert after > before  # the page shows the count: cached copies must go stale

    taken = client.delete(url, headers=bearer(reader))
    assert (taken.json["helpful_count"], taken.json["helpful_by_me"]) == (0, False)
    assert client.delete(url, headers=bearer(reader)).json["helpful_count"] == 0


def test_nobody_marks_their_own_note_and_strangers_must_sign_in(client, make, bearer) -> None:
    author = make.user()
    note = make.annotation(author, make.article())
    url = f"{API}/annotations/{note.id}/helpful"

    own = client.post(url, headers=bearer(author))

    assert own.status_code == 403
    assert own.json["error"]["code"] == "forbidden"
    assert client.post(url).status_code == 401


def test_a_deleted_note_takes_no_mark(client, make, bearer) -> None:
    author, reader = make.user(), make.user()
    note = make.annotation(author, make.article())
    client.delete(f"{API}/annotations/{note.id}", headers=bearer(author))

    refused = client.post(f"{API}/annotations/{note.id}/helpful", headers=bearer(reader))

    assert refused.status_code == 409


def test_the_list_sorts_by_helpful_newest_oldest_and_reading_order(client, make, bearer) -> None:
    author, r1, r2 = make.user(), make.user(), make.user()
    article = make.article()
    late = make.annotation(author, article, anchor="p2", body="Late, on p2.")
    early = make.annotation(author, article, anchor="p3", body="On p3.")
    first_block = make.annotation(author, article, anchor="p2", body="Second on p2.")
    for reader in (r1, r2):
        client.post(f"{API}/annotations/{early.id}/helpful", headers=bearer(reader))
    client.post(f"{API}/annotations/{first_block.id}/helpful", headers=bearer(r1))

    def ids(sort: str, **extra: str) -> list[int]:
        query = {"sort": sort, **extra}
        body = client.get(f"{API}/articles/{article.slug}/annotations", query_string=query).json
        return [item["id"] for item in body["items"]]

    assert ids("helpful") == [early.id, first_block.id, late.id]
    assert ids("newest") == [first_block.id, early.id, late.id]
    assert ids("oldest") == [late.id, early.id, first_block.id]
    assert ids("document") == [late.id, first_block.id, early.id]
    # Pages follow the sorted order: the cursor names the last item shown.
    page = client.get(
        f"{API}/articles/{article.slug}/annotations", query_string={"sort": "helpful", "limit": 1}
    ).json
    assert page["next"] is not None
    assert ids("helpful", cursor=page["next"]) == [first_block.id, late.id]
    bad = client.get(f"{API}/articles/{article.slug}/annotations", query_string={"sort": "best"})
    assert bad.status_code == 422
