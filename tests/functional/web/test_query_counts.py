"""The reading pages run the same number of SQL statements for 5 or 500 notes, in the public
discussion and in a group's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

from app.extensions import db
from app.models import Annotation, Article, Block, User
from app.models.base import utcnow
from app.services.annotations import NewAnnotation, post_annotation
from tests.factories import login

KINDS = ("comment", "counterargument", "question", "support")


def _bulk_annotations(article, authors, n: int, group=None) -> None:  # type: ignore[no-untyped-def]
    """`n` annotations over the article's paragraphs, half of them replies, inserted directly
    (into `group`'s discussion when given). Always the same: rows are read in order, since
    PostgreSQL returns an unordered SELECT in whatever order the wiped tables' pages hold."""
    blocks = list(
        db.session.scalars(
            select(Block.id)
            .where(Block.article_id == article.id, Block.kind == "paragraph")
            .order_by(Block.position)
        )
    )
    start = utcnow() - timedelta(days=1)

    def row(i: int, block_id: int, parent: int | None = None, depth: int = 0) -> dict:
        return {
            "article_id": article.id,
            "block_id": block_id,
            "parent_id": parent,
            "root_id": parent,
            "depth": depth,
            "author_id": authors[i % len(authors)].id,
            "kind": KINDS[i % len(KINDS)],
            "body": f"Note {i}",
            "body_html": f"<p>Note {i}</p>",
            "quote_exact": "paragraph" if i % 7 == 0 else None,
            "created_at": start + timedelta(seconds=i),
            "updated_at": start + timedelta(seconds=i),
            "visibility": "group" if group is not None else "public",
            "group_id": group.id if group is not None else None,
            "pinned": i % 11 == 0,
        }

    tops = (n + 1) // 2
    db.session.execute(insert(Annotation), [row(i, blocks[i % len(blocks)]) for i in range(tops)])
    db.session.execute(
        update(Annotation)
        .where(Annotation.article_id == article.id, Annotation.parent_id.is_(None))
        .values(root_id=Annotation.id)
    )
    parents = list(
        db.session.execute(
            select(Annotation.id, Annotation.block_id)
            .where(Annotation.article_id == article.id)
            .order_by(Annotation.id)
        )
    )
    replies = [
        row(tops + i, parents[i % len(parents)][1], parents[i % len(parents)][0], 1)
        for i in range(n - tops)
    ]
    if replies:
        db.session.execute(insert(Annotation), replies)
    db.session.commit()


@pytest.fixture
def two_articles(make):  # type: ignore[no-untyped-def]
    reader, other = make.user(), make.user()
    small, large = make.article(), make.article()
    _bulk_annotations(small, [reader, other], 5)
    _bulk_annotations(large, [reader, other], 500)
    assert db.session.query(Annotation).filter_by(article_id=large.id).count() == 500
    return reader.username, small.slug, large.slug


class Counted(int):
    """A statement count that shows the statements when an assertion on it fails."""

    statements: list[str]

    def __repr__(self) -> str:
        lines = "".join(f"\n    {' '.join(s.split())[:110]}" for s in self.statements)
        return f"{int(self)} statements:{lines}\n"


def _statements(client, count_queries, url: str) -> Counted:  # type: ignore[no-untyped-def]
    client.get(url)  # warm up: the first request may load things once per process
    # Requests here share the test's app context and so its session; a real request starts
    # with an empty one, which is what the count must reflect.
    db.session.remove()
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200
    counted = Counted(len(queries))
    counted.statements = list(queries.statements)
    return counted


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_the_article_page_query_count_does_not_grow_with_the_discussion(
    app, client, count_queries, two_articles, signed_in: bool
) -> None:
    reader, small, large = two_articles
    if signed_in:
        login(client, reader)
    few = _statements(client, count_queries, f"/articles/{small}")
    many = _statements(client, count_queries, f"/articles/{large}")
    assert few == many, f"small: {few!r}large: {many!r}"
    # The warm-up kept the shared layer (app/web/caching.py), so only the article is read; a
    # miss is counted in test_article_cache.py. Signed in, + the user and the personal layer
    # (own notes, marks, flags, the switcher's groups and the header's counts, in one union).
    assert many == (3 if signed_in else 1)


@pytest.mark.parametrize(
    "view", ["", "?view=debate", "?view=debate&sort=helpful", "?sort=document"]
)
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_the_paragraph_page_query_count_does_not_grow_with_the_discussion(
    app, client, count_queries, two_articles, signed_in: bool, view: str
) -> None:
    reader, small, large = two_articles
    if signed_in:
        login(client, reader)
    few = _statements(client, count_queries, f"/articles/{small}/p/p2{view}")
    many = _statements(client, count_queries, f"/articles/{large}/p/p2{view}")
    assert few == many, f"small: {few!r}large: {many!r}"
    # The debate view and sorting draw the same loaded notes: no statement of their own.
    # (+1 over the thread view of old: the paragraph's number for its h1.) Signed in, + the
    # user and the personal layer (marks, flags, the switcher's groups, the header's counts).
    assert many == (8 if signed_in else 6)


@pytest.fixture
def two_group_articles(make):  # type: ignore[no-untyped-def]
    """One group reading two articles: 5 group notes on one, 300 on the other."""
    teacher, member = make.user(role="instructor"), make.user()
    small, large = make.article(), make.article()
    group = make.groups.group(teacher, "Counted", articles=(small, large))
    make.groups.join(member, group)
    _bulk_annotations(small, [teacher, member], 5, group)
    _bulk_annotations(large, [teacher, member], 300, group)
    return teacher.username, member.username, group.slug, small.slug, large.slug


@pytest.mark.parametrize("who", ["instructor", "member"])
@pytest.mark.parametrize("page", ["", "/p/p2"], ids=["article", "paragraph"])
def test_a_groups_view_query_count_does_not_grow_with_its_discussion(
    app, client, count_queries, two_group_articles, who: str, page: str
) -> None:
    teacher, member, group, small, large = two_group_articles
    login(client, teacher if who == "instructor" else member)
    few = _statements(client, count_queries, f"/articles/{small}{page}?group={group}")
    many = _statements(client, count_queries, f"/articles/{large}{page}?group={group}")
    assert few == many, f"small: {few!r}large: {many!r}"
    # A member's article page is the group's shared layer (app/web/caching.py): the user,
    # the article, their memberships with their groups (the group among them) and the
    # personal layer. The instructor moderates: their page is drawn in full, with the
    # feedback on what is shown and the public discussion's counts. The paragraph page is
    # drawn for each reader: the notes, feedback, counts, quotes, the public discussion's
    # counts, the paragraph's number, and the personal layer.
    expected = {("", "member"): 4, ("", "instructor"): 10}
    assert many == expected.get((page, who), 11)


def test_a_reader_with_notes_of_their_own_apart_costs_two_statements_more(
    app, client, count_queries, two_articles
) -> None:
    """Their private note's block is drawn for them (app/web/caching.py): its counts and
    previews are read for that block alone; the rest is the shared layer."""
    reader, small, large = two_articles
    for slug in (small, large):
        article = db.session.scalars(select(Article).filter_by(slug=slug)).one()
        author = db.session.scalars(select(User).filter_by(username=reader)).one()
        post_annotation(
            author, article, NewAnnotation(anchor="p2", kind="comment", body="Mine", private=True)
        )
    db.session.commit()
    login(client, reader)
    few = _statements(client, count_queries, f"/articles/{small}")
    many = _statements(client, count_queries, f"/articles/{large}")
    assert few == many == 3 + 2
