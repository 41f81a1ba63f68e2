"""What an instructor does in a real browser: add a reading (preview, publish, assign), then
revise it, read the report, and re-attach the note the revision orphaned."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.importing import parse_article
from app.models import Annotation, Article, Reading
from app.services import reading
from app.services.annotations import Quote
from app.services.articles import add_article
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

SOURCE = """# The Week's Reading

By Dana Writer

The first paragraph makes a claim that readers may dispute at length.

Related: another story, set into the page.

The second paragraph offers evidence, with numbers: 32% and 69%.
"""


def _sign_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stacked-form button[type=submit]")
    page.wait_for_url("**/")


def test_an_instructor_adds_previews_publishes_and_assigns_a_reading(open_page, make) -> None:
    teacher = make.user("teacher", role="instructor")
    make.groups.group(teacher, "Seminar")
    watched = open_page()
    page = watched.page
    _sign_in(page, "teacher")
    page.click("text=Add an article")
    page.fill("textarea[name=source]", SOURCE)
    page.click("button:has-text('Preview')")
    page.wait_for_selector(".repairs")
    assert "Byline read: “Dana Writer”" in page.text_content(".repairs")
    page.fill("input[name=title]", "The Week's Reading, Corrected")
    page.check("input[name=aside][value='1']")  # the second paragraph becomes an aside
    page.check("label:has-text('Seminar') input[name=group]")
    page.click("button:has-text('Publish')")
    page.wait_for_url("**/articles/the-weeks-reading")
    assert page.text_content("h1.article-title") == "The Week's Reading, Corrected"
    assert page.locator("section.block").count() == 1
    db.session.expire_all()
    article = db.session.scalars(select(Article)).one()
    assert db.session.scalar(select(Reading.id).where(Reading.article_id == article.id))
    assert watched.problems() == []


def test_an_owner_revises_reads_the_report_and_re_attaches_an_orphan(open_page, make) -> None:
    teacher = make.user("teacher", role="instructor")
    article = add_article(teacher, parse_article(SOURCE, "md")).article
    db.session.commit()
    second = article_text_anchor(article, "offers evidence")
    note = make.annotation(
        make.user("ann"), article, anchor=second, quote=Quote("offers evidence", "", "")
    )
    watched = open_page()
    page = watched.page
    _sign_in(page, "teacher")
    page.goto(f"/articles/{article.slug}")
    page.click("text=Edit the text")
    revised = SOURCE.replace("The second paragraph offers evidence, with numbers: 32% and 69%.", "")
    page.fill("textarea[name=source]", revised)
    page.click("button:has-text('Save as a new revision')")
    page.check("input[name=confirm]")  # the only note would be orphaned: asked first
    page.click("button:has-text('Save as a new revision')")
    page.wait_for_url("**/health")
    assert "1 orphaned" in page.text_content(".report")
    orphan = page.locator(f".orphan[data-annotation-id='{note.id}']")
    assert "offers evidence" in orphan.text_content()
    orphan.locator("input[name=quote_text]").fill("readers may dispute")
    orphan.locator("button:has-text('Re-attach')").click()
    page.wait_for_url("**/articles/the-weeks-reading#*")
    assert page.locator("#orphans").count() == 0
    db.session.expire_all()
    moved = db.session.get(Annotation, note.id)
    assert (moved.orphaned, moved.quote_exact) == (False, "readers may dispute")
    # The confirmation page answers 409 (the revision was not applied), which Chromium logs.
    assert [p for p in watched.problems() if "status of 409" not in p] == []


def article_text_anchor(article: Article, words: str) -> str:
    return next(b.anchor for b in reading.list_blocks(article) if words in b.text)
