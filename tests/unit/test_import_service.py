"""Importing into the database: create, revise with stable anchors, orphan rather than lose."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.importing import ArticleDraft, parse_article
from app.models import Annotation, Article, Block
from app.services.articles import (
    DEMO_SLUG,
    ImportSummary,
    import_article,
    import_article_summary,
    load_demo,
)
from app.services.errors import ValidationFailed

ORIGINAL = """# The Title

A standfirst sentence.

By Ann Author

March 4, 2021

## First part

Alpha paragraph says one thing.

Beta paragraph says another.

**Related:** [Elsewhere](#)

Gamma paragraph concludes.
"""


def md(source: str) -> ArticleDraft:
    return parse_article(source, "md")


def blocks_of(article: Article) -> list[Block]:
    return list(
        db.session.scalars(
            select(Block)
            .where(Block.article_id == article.id, Block.retired.is_(False))
            .order_by(Block.position)
        )
    )


def anchors(article: Article) -> dict[str, str]:
    """{text: anchor} of the stored blocks."""
    return {block.text: block.anchor for block in blocks_of(article)}


def reimport(source: str, slug: str = "the-article") -> ImportSummary:
    summary = import_article_summary(md(source), slug)
    db.session.commit()
    return summary


@pytest.fixture
def article(app_ctx) -> Article:
    created = import_article(md(ORIGINAL), slug="the-article")
    db.session.commit()
    return created


def test_import_creates_the_article_with_its_front_matter_and_blocks(article: Article) -> None:
    assert (article.slug, article.title, article.author) == (
        "the-article",
        "The Title",
        "Ann Author",
    )
    assert article.standfirst == "A standfirst sentence."
    assert article.published == date(2021, 3, 4)
    stored = blocks_of(article)
    assert [(b.position, b.kind, b.anchor) for b in stored] == [
        (0, "heading", "h-first-part"),
        (1, "paragraph", "p-alpha-paragraph-says"),
        (2, "paragraph", "p-beta-paragraph-says"),
        (3, "paragraph", "p-gamma-paragraph-concludes"),
    ]
    assert article.asides == [
        {
            "text": "Related: Elsewhere",
            "html": "<strong>Related:</strong> Elsewhere",
            "after": "p-beta-paragraph-says",
        }
    ]


def test_import_uses_the_suggested_slug_when_none_is_given(app_ctx) -> None:
    created = import_article(md(ORIGINAL))
    assert created.slug == "the-title"


def test_repeated_words_get_numbered_anchors(app_ctx) -> None:
    created = import_article(
        md("# T\n\nIn contrast, one.\n\nIn contrast, two.\n\nIn contrast, three.")
    )
    assert [b.anchor for b in blocks_of(created)] == [
        "p-in-contrast-one",
        "p-in-contrast-two",
        "p-in-contrast-three",
    ]
    again = import_article(
        md("# U\n\nSame words here.\n\nSame words here!\n\nSame words here?"), "u"
    )
    assert [b.anchor for b in blocks_of(again)] == [
        "p-same-words-here",
        "p-same-words-here-2",
        "p-same-words-here-3",
    ]


def test_anchors_are_unique_and_url_safe_for_the_demo(app_ctx) -> None:
    demo, _created = load_demo()
    found = [b.anchor for b in blocks_of(demo)]
    assert len(found) == len(set(found)) == 27
    assert all(re.fullmatch(r"[a-z0-9-]{1,48}", anchor) for anchor in found)


def test_reimporting_unchanged_content_changes_nothing(article: Article) -> None:
    before = anchors(article)
    updated_at = article.updated_at
    summary = reimport(ORIGINAL)
    assert not summary.created
    assert not summary.changed
    assert (summary.added, summary.edited, summary.removed) == (0, 0, 0)
    assert summary.revision == 1
    assert anchors(article) == before
    db.session.refresh(article)
    assert article.updated_at == updated_at


def test_an_inserted_paragraph_gets_a_new_anchor_and_the_others_keep_theirs(
    article: Article,
) -> None:
    before = anchors(article)
    summary = reimport(
        ORIGINAL.replace("Beta paragraph", "Inserted paragraph here.\n\nBeta paragraph")
    )
    after = anchors(article)
    assert (summary.added, summary.edited, summary.removed) == (1, 0, 0)
    assert {text: after[text] for text in before} == before
    assert after["Inserted paragraph here."] == "p-inserted-paragraph-here"
    assert [b.anchor for b in blocks_of(article)] == [
        "h-first-part",
        "p-alpha-paragraph-says",
        "p-inserted-paragraph-here",
        "p-beta-paragraph-says",
        "p-gamma-paragraph-concludes",
    ]


def test_an_edited_paragraph_keeps_its_anchor_and_takes_the_new_text(article: Article) -> None:
    summary = reimport(
        ORIGINAL.replace("Beta paragraph says another.", "Beta paragraph now says *more*.")
    )
    beta = blocks_of(article)[2]
    assert summary.edited == 1
    assert beta.anchor == "p-beta-paragraph-says"
    assert (beta.text, beta.html) == (
        "Beta paragraph now says more.",
        "Beta paragraph now says <em>more</em>.",
    )


def test_a_vanished_paragraph_is_retired_and_leaves_the_text(article: Article) -> None:
    summary = reimport(ORIGINAL.replace("Beta paragraph says another.\n", ""))
    assert summary.removed == 1
    assert summary.revision == 2
    assert "Beta paragraph says another." not in anchors(article)
    assert article.asides[0]["after"] == "p-alpha-paragraph-says"
    retired = db.session.scalar(select(Block).where(Block.anchor == "p-beta-paragraph-says"))
    assert retired is not None
    assert retired.retired


def test_a_vanished_paragraph_with_annotations_leaves_the_text_and_orphans_them(
    article: Article, make
) -> None:
    note = make.annotation(make.user(), article, anchor="p-beta-paragraph-says", body="Keep me.")
    # Two other notes stay anchored, so one orphan of three needs no confirmation.
    make.annotation(make.user(), article, anchor="p-alpha-paragraph-says")
    make.annotation(make.user(), article, anchor="p-gamma-paragraph-concludes")
    summary = reimport(ORIGINAL.replace("Beta paragraph says another.\n", ""))
    assert summary.removed == 1
    assert summary.report["annotations"] == {"anchored": 2, "reanchored": 0, "orphaned": 1}
    # The current revision is exactly the text imported: no ghost paragraph.
    assert [b.anchor for b in blocks_of(article)] == [
        "h-first-part",
        "p-alpha-paragraph-says",
        "p-gamma-paragraph-concludes",
    ]
    kept = db.session.get(Annotation, note.id)
    assert (kept.body, kept.orphaned) == ("Keep me.", True)


def test_a_rewritten_paragraph_is_a_new_block_and_never_reuses_the_old_anchor(
    article: Article,
) -> None:
    rewrite = "Beta paragraph says nothing of the kind: every word after the first three differs."
    summary = reimport(ORIGINAL.replace("Beta paragraph says another.", rewrite))
    assert (summary.added, summary.edited, summary.removed) == (1, 0, 1)
    assert rewrite in anchors(article)
    # An old link to #p-beta-paragraph-says must not land on words it never pointed to.
    assert anchors(article)[rewrite] == "p-beta-paragraph-says-2"


def test_moved_paragraphs_keep_their_anchors(article: Article) -> None:
    before = anchors(article)
    reimport(
        ORIGINAL.replace(
            "Alpha paragraph says one thing.\n\nBeta paragraph says another.",
            "Beta paragraph says another.\n\nAlpha paragraph says one thing.",
        )
    )
    assert anchors(article) == before
    assert [b.anchor for b in blocks_of(article)][1:3] == [
        "p-beta-paragraph-says",
        "p-alpha-paragraph-says",
    ]


def test_article_fields_follow_the_file(article: Article) -> None:
    summary = reimport(
        ORIGINAL.replace("By Ann Author", "By Bo Writer").replace("The Title", "New Title")
    )
    assert summary.changed
    assert (article.title, article.author) == ("New Title", "Bo Writer")


def test_unicode_round_trips_through_the_database(app_ctx) -> None:
    text = "Ереван — 東京 — 🙂 — e\u0301 — vis-à-vis — «ça» — \u202ertl."
    created = import_article(md(f"# {text}\n\n{text}"), slug="unicode")
    db.session.commit()
    db.session.expire_all()
    stored = db.session.scalar(select(Article).where(Article.slug == "unicode"))
    assert stored is not None
    assert stored.title == text
    assert blocks_of(stored)[0].text == text
    assert created.id == stored.id


@pytest.mark.parametrize(
    ("source", "slug", "field"),
    [
        ("", None, "source"),
        ("  \n\n ", None, "source"),
        ("# Only a title\n", None, "blocks"),
        ("# Only headings\n\n## Another\n", None, "blocks"),
        ("Just a paragraph, no title, and a [link](#).", "x", "title"),
        ("# Title\n\nText.", "Bad Slug", "slug"),
        ("# Title\n\nText.", "", "slug"),
        ("# Title\n\nText.", "a" * 121, "slug"),
        ("# Title\n\nText.", "caf\u00e9", "slug"),
        (f"# {'Long ' * 70}\n\nText.", "ok", "title"),
        ("# Ереван\n\nText.", None, "slug"),
    ],
)
def test_bad_input_is_refused_with_a_field_and_nothing_is_stored(
    app_ctx, source: str, slug: str | None, field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        import_article(md(source), slug)
    assert field in caught.value.fields
    assert db.session.scalar(select(func.count()).select_from(Article)) == 0


def test_a_slug_of_120_characters_is_accepted(app_ctx) -> None:
    assert import_article(md("# T\n\nText."), "a" * 120).slug == "a" * 120


def test_demo_loads_once_and_a_second_load_changes_nothing(app_ctx) -> None:
    article, created = load_demo()
    db.session.commit()
    first = [(b.id, b.anchor, b.position, b.text) for b in blocks_of(article)]
    again, created_again = load_demo()
    db.session.commit()
    assert (created, created_again) == (True, False)
    assert again.id == article.id
    assert [(b.id, b.anchor, b.position, b.text) for b in blocks_of(again)] == first
    assert db.session.scalar(select(func.count()).select_from(Article)) == 1


def test_demo_article_has_its_fields_blocks_and_asides(app_ctx) -> None:
    article, _created = load_demo()
    stored = blocks_of(article)
    assert article.slug == DEMO_SLUG
    assert article.author == "Simon Saradzhyan"
    assert article.photo_credit == "Alexander Nemenov / AFP"
    assert article.source_url.startswith("https://www.themoscowtimes.com/2020/11/19/")
    assert (len(stored), sum(b.kind == "heading" for b in stored)) == (27, 3)
    assert [a["after"] for a in article.asides] == [
        "p-in-contrast-moscow",
        "p-so-if-russias",
        "p-in-fact-members",
    ]
    assert {a["after"] for a in article.asides} <= {b.anchor for b in stored}
