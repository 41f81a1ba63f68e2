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


SCROLL_SETTLED = """() => new Promise((done) => {
  const y = window.scrollY;
  setTimeout(() => done(window.scrollY === y), 100);
})"""


def _select(page, anchor: str, phrase: str) -> None:  # type: ignore[no-untyped-def]
    """Drag the mouse across `phrase` in the block, as a reader would."""
    # Arming a re-attach scrolls smoothly to the text: measure only once the page is still.
    page.wait_for_function(SCROLL_SETTLED)
    box = page.evaluate(
        """([anchor, phrase]) => {
          const text = document.querySelector(`#${anchor} .block-text`).firstChild;
          const at = text.data.indexOf(phrase);
          const range = document.createRange();
          range.setStart(text, at);
          range.setEnd(text, at + phrase.length);
          const rects = range.getClientRects();
          const first = rects[0], last = rects[rects.length - 1];
          return {x1: first.left + 1, y1: first.top + first.height / 2,
                  x2: last.right - 1, y2: last.top + last.height / 2};
        }""",
        [anchor, phrase],
    )
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move(box["x2"], box["y2"], steps=5)
    page.mouse.up()


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
    assert "offers evidence" in page.text_content(f".orphan[data-annotation-id='{note.id}']")
    # On the article, the orphan waits at the end; the owner re-attaches it by selecting words.
    page.goto(f"/articles/{article.slug}")
    orphan = page.locator(f"#orphans .orphan[data-annotation-id='{note.id}']")
    assert "Originally quoted: “offers evidence”" in " ".join(orphan.text_content().split())
    orphan.locator("button:has-text('Choose new words in the text')").click()
    _select(page, article_text_anchor(article, "readers may dispute"), "readers may dispute")
    page.click(".reattach-bar button:has-text('Attach here')")
    page.wait_for_url("**/articles/the-weeks-reading#*")
    assert page.locator("#orphans").count() == 0
    db.session.expire_all()
    moved = db.session.get(Annotation, note.id)
    assert (moved.orphaned, moved.quote_exact) == (False, "readers may dispute")
    assert moved.quote_prefix.endswith("makes a claim that ")  # the selection's context
    # The confirmation page answers 409 (the revision was not applied), which Chromium logs.
    assert [p for p in watched.problems() if "status of 409" not in p] == []


def article_text_anchor(article: Article, words: str) -> str:
    return next(b.anchor for b in reading.list_blocks(article) if words in b.text)
