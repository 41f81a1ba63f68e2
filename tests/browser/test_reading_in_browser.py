"""What a reader does in a real browser: quote, post and reply in place, or post without JS."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import Annotation
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

PHRASE = "offers evidence"


def _sign_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stacked-form button[type=submit]")
    page.wait_for_url("**/")


def _select(page, anchor: str, phrase: str) -> None:  # type: ignore[no-untyped-def]
    """Drag the mouse across `phrase` in the block, as a reader would."""
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


def _text(locator) -> str:  # type: ignore[no-untyped-def]
    return " ".join(locator.text_content().split())


def _mark(page) -> None:  # type: ignore[no-untyped-def]
    page.evaluate("window.__stayed = 'here'")


def _still_same_page(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("window.__stayed") == "here"


def test_a_newcomer_quotes_a_phrase_and_posts_a_counterargument_in_place(open_page, make) -> None:
    article = make.article()
    watched = open_page()
    page = watched.page
    page.goto(f"/register?next=/articles/{article.slug}")
    page.fill("input[name=username]", "newcomer")
    page.fill("input[name=display_name]", "New Comer")
    page.fill("input[name=email]", "newcomer@example.edu")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("form.stacked-form button[type=submit]")
    page.wait_for_url(f"**/articles/{article.slug}")
    _mark(page)

    _select(page, "p3", PHRASE)
    page.click("button.select-comment")
    form = page.locator("#p3 form.composer")
    text, panel = page.locator("#p3 .block-text").bounding_box(), form.bounding_box()
    assert panel["x"] >= text["x"] + text["width"]  # wide screen: beside the paragraph
    assert form.locator(".composer-quote blockquote").inner_text() == PHRASE
    form.locator("select[name=kind]").select_option("counterargument")
    form.locator("textarea[name=body]").fill("Evidence of *what*, exactly?")
    form.locator("button[type=submit]").click()

    posted = page.locator("#p3 [data-annotation-id] .annotation-body")
    posted.wait_for()
    assert posted.inner_text() == "Evidence of what, exactly?"
    assert _text(page.locator("#p3 [data-counts-for] [data-kind=counterargument]")) == (
        "1 counterargument"
    )
    assert page.locator("#p3 mark.quote-highlight").inner_text() == PHRASE
    assert form.count() == 0 or form.locator("textarea").input_value() == ""
    assert _still_same_page(page)
    assert watched.problems() == []

    db.session.expire_all()
    note = db.session.query(Annotation).one()
    assert (note.kind, note.quote_exact) == ("counterargument", PHRASE)
    assert note.quote_prefix == "The second paragraph "
    assert note.quote_suffix == ", with numbers: 32% and 69%."


def test_a_reply_is_posted_in_place_on_the_paragraph_page(open_page, make) -> None:
    author, reader, article = make.user(), make.user(), make.article()
    note = make.annotation(author, article, body="Start of a thread.")
    watched = open_page()
    page = watched.page
    _sign_in(page, reader.username)
    page.goto(f"/articles/{article.slug}/p/p2")
    _mark(page)

    thread = page.locator(f"[data-annotation-id='{note.id}']")
    thread.locator("a[data-reply-to]").click()
    reply_form = thread.locator("form.composer--reply")
    reply_form.locator("textarea").fill("A reply, in place.")
    reply_form.locator("button[type=submit]").click()

    reply = thread.locator("ol.replies [data-annotation-id] .annotation-body")
    reply.wait_for()
    assert reply.inner_text() == "A reply, in place."
    assert reply_form.count() == 0
    assert thread.locator(".reply-count").first.inner_text() == "1 reply"
    assert _text(page.locator("#p2 [data-counts-for] [data-kind=comment]")) == "2 comments"
    assert _still_same_page(page)
    assert watched.problems() == []


def test_without_javascript_the_plain_form_posts_and_the_note_shows_after_redirect(
    open_page, make
) -> None:
    user, article = make.user(), make.article()
    page = open_page(js=False).page
    _sign_in(page, user.username)
    page.goto(f"/articles/{article.slug}/p/p3")
    page.select_option("#new select[name=kind]", "question")
    page.fill("#new textarea[name=body]", "Where do the numbers come from?")
    page.click("#new button[type=submit]")
    page.wait_for_url(re.compile(rf"/articles/{article.slug}/p/p3#a-\d+$"))
    item = page.locator("[data-annotation-id] .annotation-body")
    assert item.inner_text() == "Where do the numbers come from?"
    assert "Your note is posted." in page.locator(".flashes").inner_text()
    assert _text(page.locator("#p3 [data-kind=question]")) == "1 question"


def test_on_a_phone_the_discussion_opens_below_its_paragraph_without_errors(
    open_page, make
) -> None:
    author, article = make.user(), make.article()
    make.annotation(author, article, anchor="p3", body="Noted.", kind="support")
    watched = open_page(width=390)
    page = watched.page
    page.goto(f"/articles/{article.slug}")
    page.locator("#p3 [data-counts-for]").click()
    panel = page.locator("#p3 .discussion-panel")
    assert panel.locator(".annotation-body").inner_text() == "Noted."
    text, box = page.locator("#p3 .block-text").bounding_box(), panel.bounding_box()
    assert box["y"] >= text["y"] + text["height"]
    assert page.url.endswith(f"/articles/{article.slug}")  # opened in place, no navigation
    assert watched.problems() == []
