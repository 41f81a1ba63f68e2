"""The insight pages: the dashboard (charts with their tables), a member's work, search, print."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import Annotation, Reading
from app.services.feedback import give_feedback
from app.services.moderation import flag_annotation
from tests.factories import login


@pytest.fixture
def busy(classroom, make):  # type: ignore[no-untyped-def]
    c = classroom
    note = make.groups.group_note
    c.question = note(
        c.ann, c.article, c.group, kind="question", body="Why is this claim doubtful?"
    )
    c.claim = note(
        c.bob, c.article, c.group, anchor="p3", kind="counterargument", body="Not a claim: see 32%."
    )
    flag_annotation(c.ann, c.claim, "other", "Rude")
    give_feedback(c.teacher, c.question, "Say which claim you doubt.")
    db.session.commit()
    return c


def test_the_dashboard_shows_each_chart_with_a_table_of_its_numbers(busy, signed_in) -> None:  # type: ignore[no-untyped-def]
    page = signed_in(busy.teacher).get(f"/groups/{busy.group.slug}/insight")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('<svg class="chart-svg"') >= 2
    assert "<caption" in html
    assert '<tr data-member="ann">' in html
    assert "Participation per member" in html
    # Stuck: an unanswered question and counterargument, a flagged thread, who has not posted.
    assert "Why is this claim doubtful?" not in html  # bodies are not on the dashboard
    stuck = html[html.index("data-stuck") :]
    assert "1 question" in stuck
    assert "1 counterargument" in stuck
    assert "1 open flag" in stuck
    assert "everyone has posted" in stuck


def test_a_reading_adds_the_heat_map_and_the_due_date_column(busy, signed_in) -> None:  # type: ignore[no-untyped-def]
    db.session.execute(update(Reading).values(due_on=date(2099, 1, 1)))
    db.session.commit()
    client = signed_in(busy.teacher)
    page = client.get(f"/groups/{busy.group.slug}/insight?article={busy.article.slug}")
    html = page.get_data(as_text=True)
    assert "Notes per paragraph" in html
    assert "By due date" in html
    assert re.search(
        r"<rect x=\"70\" y=\"\d+\" width=\"530\" height=\"18\" class=\"heat-cell\"", html
    )
    assert client.get(f"/groups/{busy.group.slug}/insight?article=nope").status_code == 404


def test_members_and_outsiders_are_refused_the_dashboard(busy, signed_in, client) -> None:  # type: ignore[no-untyped-def]
    path = f"/groups/{busy.group.slug}/insight"
    assert signed_in(busy.ann).get(path).status_code == 403
    assert signed_in(busy.outsider).get(path).status_code == 404
    assert client.get(path).status_code == 302


def test_the_dashboard_runs_the_same_statements_for_3_or_300_members(
    busy, make, app, count_queries
) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    login(client, busy.teacher.username)
    path = f"/groups/{busy.group.slug}/insight?article={busy.article.slug}"

    def statements() -> int:
        client.get(path)
        db.session.remove()
        with count_queries() as counted:
            assert client.get(path).status_code == 200
        return len(counted)

    few = statements()
    for n in range(20):
        member = make.user(f"member{n:02d}")
        make.groups.join(member, busy.group)
        make.groups.group_note(member, busy.article, busy.group, body=f"Note {n}.")
    assert statements() == few


def test_a_members_page_shows_their_notes_in_context_with_private_feedback(busy, signed_in) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(busy.teacher)
    html = client.get(f"/groups/{busy.group.slug}/members/ann/work").get_data(as_text=True)
    assert f'data-annotation-id="{busy.question.id}"' in html
    assert "Why is this claim doubtful?" in html
    assert "Say which claim you doubt." in html
    assert "The first paragraph" in html or "second paragraph" in html  # the paragraph itself
    assert busy.claim.body not in html  # Bob's note is not Ann's work
    assert client.get(f"/groups/{busy.group.slug}/members/outsider/work").status_code == 404
    assert signed_in(busy.bob).get(f"/groups/{busy.group.slug}/members/ann/work").status_code == 403


def test_the_search_page_finds_highlights_and_filters(busy, signed_in) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(busy.ann)
    html = client.get("/search?q=doubtful").get_data(as_text=True)
    assert f'data-annotation-id="{busy.question.id}"' in html
    assert "<mark>doubtful</mark>" in html
    filtered = client.get("/search?q=claim&kind=counterargument").get_data(as_text=True)
    assert f'data-annotation-id="{busy.claim.id}"' in filtered
    assert f'data-annotation-id="{busy.question.id}"' not in filtered
    passages = client.get("/search?q=evidence").get_data(as_text=True)
    assert "data-passage=" in passages


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("q=", 200),  # an empty form: nothing asked yet
        ('q="*()NEAR AND:', 200),  # FTS syntax is read as words
        ("q=%22*()", 422),  # punctuation alone: nothing to search for
        ("q=" + "x" * 1000, 422),
        ("q=so&kind=rant", 422),
        ("q=so&since=soon", 422),
    ],
)
def test_bad_searches_get_a_message_not_an_error_page(busy, signed_in, query, status) -> None:  # type: ignore[no-untyped-def]
    page = signed_in(busy.ann).get(f"/search?{query}")
    assert page.status_code == status
    if status == 422:
        assert 'role="alert"' in page.get_data(as_text=True)


def test_an_outsider_finds_nothing_of_the_groups_on_the_search_page(busy, signed_in) -> None:  # type: ignore[no-untyped-def]
    html = signed_in(busy.outsider).get("/search?q=doubtful").get_data(as_text=True)
    assert "Why is this claim doubtful?" not in html
    assert "No notes match" in html


def test_the_printable_article_numbers_the_notes_as_footnotes(busy, signed_in, make) -> None:  # type: ignore[no-untyped-def]
    reply = make.groups.group_note(busy.bob, busy.article, busy.group, parent=busy.question,
                                   body="Because of tariffs.")  # fmt: skip
    hidden = make.groups.group_note(busy.bob, busy.article, busy.group, body="Hidden words.")
    db.session.execute(update(Annotation).where(Annotation.id == hidden.id).values(status="hidden"))
    db.session.commit()
    client = signed_in(busy.ann)
    html = client.get(f"/articles/{busy.article.slug}/print?group={busy.group.slug}").get_data(
        as_text=True
    )
    assert 'href="#fn-1"' in html
    assert 'id="fn-3"' in html
    assert 'replying to <a href="#fn-1">note 1</a>' in html
    assert f'data-annotation-id="{reply.id}"' in html
    assert "Hidden words." not in html
    public = client.get(f"/articles/{busy.article.slug}/print").get_data(as_text=True)
    assert "Why is this claim doubtful?" not in public
    assert (
        signed_in(busy.outsider)
        .get(f"/articles/{busy.article.slug}/print?group={busy.group.slug}")
        .status_code
        == 404
    )
