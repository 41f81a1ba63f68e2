"""Arguing in a real browser: the keyboard-only path of CONTRACT §7 quotes a phrase and posts a
counterargument, a note posted elsewhere appears live, announced politely, and a reader marks a
note helpful in place, reads its debate and finds the contested paragraph in the overview."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Annotation
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

TEXT = "Cats sleep all day long. Dogs bark at night loudly. Birds sing."


@pytest.fixture
def reading(make):  # type: ignore[no-untyped-def]
    ann = make.user("ann", display_name="Ann Author")
    bob = make.user("bob", display_name="Bob Reader")
    article = make.article(blocks=[("heading", "On animals"), ("paragraph", TEXT)])
    return ann, bob, article


def _sign_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stacked-form button[type=submit]")
    page.wait_for_url("**/")


def _until(page, script: str, timeout: float = 9.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until `script` is true in the page (wait_for_function would need 'unsafe-eval')."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"never true: {script}"
        page.wait_for_timeout(100)


POLL_MS = 4000  # static/js/live.js EVERY_MS


def _next_poll(page, slug: str) -> None:  # type: ignore[no-untyped-def]
    """Jump the page's clock to its next poll, and wait until the page it fetches has come."""
    with page.expect_request_finished(lambda request: request.url.endswith(f"/articles/{slug}")):
        page.clock.fast_forward(POLL_MS)
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => done()))")


def test_by_keyboard_alone_a_reader_quotes_a_phrase_and_posts_a_counterargument(
    open_page, reading
) -> None:
    _ann, bob, article = reading
    watched = open_page()
    page = watched.page
    _sign_in(page, bob.username)
    page.goto(f"/articles/{article.slug}")
    keys = page.keyboard

    keys.press("j")
    keys.press("j")
    assert page.evaluate("document.activeElement.dataset.anchor") == "p2"
    keys.press("q")
    mark = page.locator("#p2 mark.quote-keyboard")
    assert " ".join(mark.all_text_contents()) == "Cats sleep all day long."
    keys.press("ArrowRight")
    keys.press("Shift+ArrowLeft")
    assert " ".join(mark.all_text_contents()) == "Dogs bark at night"
    _until(page, "document.querySelector('[data-announcer]').textContent.includes('night')")
    keys.press("Enter")

    form = page.locator("#p2 form.composer")
    assert form.locator(".composer-quote blockquote").inner_text() == "Dogs bark at night"
    assert page.evaluate("document.activeElement.name") == "body"
    keys.press("Shift+Tab")
    assert page.evaluate("document.activeElement.name") == "kind"
    keys.press("ArrowDown")
    keys.press("Tab")
    keys.type("They bark all day too.")
    keys.press("Control+Enter")

    _until(page, "document.activeElement.closest('[data-annotation-id]') !== null")
    _until(page, "document.querySelector('[data-announcer]').textContent.includes('posted')")
    db.session.expire_all()
    note = db.session.scalars(select(Annotation)).one()
    assert (note.kind, note.quote_exact, note.body) == (
        "counterargument",
        "Dogs bark at night",
        "They bark all day too.",
    )
    focused = page.evaluate(
        "document.activeElement.closest('[data-annotation-id]').dataset.annotationId"
    )
    assert focused == str(note.id)
    assert watched.problems() == []


def test_a_note_posted_by_someone_else_appears_live_and_is_announced(
    open_page, reading, make
) -> None:
    ann, bob, article = reading
    watched = open_page()
    page = watched.page
    _sign_in(page, bob.username)
    page.clock.install()  # time flows as usual; _next_poll jumps it to the poll
    page.goto(f"/articles/{article.slug}")
    page.locator("#p2 summary.discussion-toggle").click()

    note = make.annotation(ann, article, anchor="p2", kind="question", body="Why cats?")

    _next_poll(page, article.slug)
    page.locator(f"#p2 li[data-annotation-id='{note.id}']").wait_for()
    assert " ".join(page.locator("#p2 [data-counts-for]").inner_text().split()) == "1 question"
    assert page.locator("#p2 details.discussion").evaluate("d => d.open")  # still open
    _until(
        page,
        "document.querySelector('[data-announcer]').textContent"
        ".includes('1 new note on paragraph 1')",
    )

    # While the reader types in that discussion, it is not swapped away; once they leave it,
    # the note that waited comes in (the version was not taken as seen meanwhile).
    page.locator("#p2").focus()
    page.keyboard.press("c")  # the composer for the whole block (CONTRACT §7)
    box = page.locator("#p2 form.composer textarea[name=body]").first
    box.wait_for()
    box.type("Half a thought")
    later = make.annotation(ann, article, anchor="p2", kind="comment", body="Or dogs?")
    _next_poll(page, article.slug)  # the page is fetched, and its swap refused
    assert page.locator(f"#p2 li[data-annotation-id='{later.id}']").count() == 0
    assert box.input_value() == "Half a thought"
    box.fill("")
    box.press("Escape")  # closes the composer
    _next_poll(page, article.slug)
    page.locator(f"#p2 li[data-annotation-id='{later.id}']").wait_for()
    assert watched.problems() == []


def test_edit_and_delete_happen_in_place_with_the_focus_kept(open_page, reading, make) -> None:
    ann, _bob, article = reading
    note = make.annotation(ann, article, anchor="p2", body="First draft.")
    watched = open_page()
    page = watched.page
    _sign_in(page, ann.username)
    page.goto(f"/articles/{article.slug}")
    page.evaluate("window.__stayed = 'here'")
    page.locator("#p2 summary.discussion-toggle").click()
    item = page.locator(f"#p2 li[data-annotation-id='{note.id}']")

    item.locator("[data-edit]").click()
    field = item.locator("form.composer--edit textarea")
    field.fill("Second thoughts.")
    field.press("Control+Enter")

    _until(
        page,
        f"document.querySelector('#a-{note.id} .annotation-body').textContent"
        ".includes('Second thoughts.')",
    )
    _until(page, f"document.activeElement.closest('#a-{note.id}') !== null")
    item.locator("details.confirm summary").click()
    item.locator("details.confirm button[type=submit]").click()
    _until(page, f"!document.querySelector('#a-{note.id}')")
    assert page.evaluate("window.__stayed") == "here"  # no page load
    db.session.expire_all()
    assert db.session.get(Annotation, note.id).status == "deleted"
    assert watched.problems() == []


def test_a_reader_marks_a_note_helpful_reads_the_debate_and_finds_the_contested_paragraph(
    open_page, reading, make
) -> None:
    ann, bob, article = reading
    claim = make.annotation(ann, article, body="Cats are the better pets.")
    make.annotation(bob, article, kind="support", body="They ask for little.", parent=claim)
    make.annotation(bob, article, kind="counterargument", body="Dogs guard the house.",
                    parent=claim)  # fmt: skip
    make.annotation(bob, article, kind="counterargument", body="Cats scratch sofas.")
    watched = open_page()
    page = watched.page
    _sign_in(page, bob.username)

    # Helpful, in place: the button says it is pressed and the count goes up, with no reload.
    page.goto(f"/articles/{article.slug}/p/p2")
    button = page.locator(f"[data-annotation-id='{claim.id}'] .action--helpful").first
    assert button.get_attribute("aria-pressed") == "false"
    page.evaluate("window.__stayed = true")
    button.click()
    _until(
        page,
        f"""document.querySelector("[data-annotation-id='{claim.id}'] .action--helpful")
                     .getAttribute('aria-pressed') === 'true'""",
    )
    assert page.evaluate("window.__stayed === true")
    assert "1" in page.locator(f"[data-annotation-id='{claim.id}'] .helpful-n").first.inner_text()

    # The debate view: support and counterarguments side by side, each in its own column.
    page.get_by_role("link", name="Debate", exact=True).click()
    page.wait_for_url("**view=debate**")
    top = ".debate-columns:not(.debate-columns--nested) > .debate-col--counterargument"
    assert "Cats scratch sofas." in page.locator(top).first.inner_text()
    # The claim's own debate: its supporting reply on one side, its counterargument on the other.
    page.goto(f"/articles/{article.slug}/p/p2?view=debate&focus={claim.id}")
    columns = ".debate-columns:not(.debate-columns--nested) > .debate-col--{}"
    assert "They ask for little." in page.locator(columns.format("support")).first.inner_text()
    against = page.locator(columns.format("counterargument")).first.inner_text()
    assert "Dogs guard the house." in against
    assert "They ask for little." not in against

    # Where the argument is: the overview links the contested paragraph.
    page.goto(f"/articles/{article.slug}/overview")
    link = page.locator(f"a[href*='{article.slug}'][href*='p2']").first
    assert link.count() == 1
    assert watched.problems() == []


def test_the_article_pages_shared_notes_get_each_readers_own_controls(
    open_page, reading, make
) -> None:
    """The notes on the article page are the shared layer (no one's controls); the page's
    script gives them the reader's own from the personal layer, and again after an action."""
    ann, bob, article = reading
    theirs = make.annotation(ann, article, body="A claim to weigh.")
    rude = make.annotation(ann, article, body="Something rude.")
    mine = make.annotation(bob, article, body="My own note.")
    watched = open_page()
    page = watched.page
    page.set_viewport_size({"width": 360, "height": 800})
    _sign_in(page, bob.username)
    page.goto(f"/articles/{article.slug}")
    page.locator("#p2 summary.discussion-toggle").click()
    own = page.locator(f"#a-{mine.id}")
    assert own.locator("[data-edit]").count() == 1
    assert own.locator("details.confirm summary", has_text="Delete").count() == 1
    assert own.locator(".action--helpful").count() == 0  # not on one's own note

    button = page.locator(f"#a-{theirs.id} .action--helpful")
    assert button.get_attribute("aria-pressed") == "false"
    button.click()
    _until(
        page,
        f"document.querySelector('#a-{theirs.id} .action--helpful')"
        "?.getAttribute('aria-pressed') === 'true'",
    )
    flag = page.locator(f"#a-{rude.id} details[data-tool=flag]")
    flag.locator("summary").click()
    flag.locator("select[name=reason]").select_option("spam")
    flag.locator("button[type=submit]").click()
    _until(page, f"document.querySelector('#a-{rude.id} .flagged-note') !== null")
    if shots := os.environ.get("CP_SCREENSHOTS"):  # a folder to look at the page in
        page.screenshot(path=f"{shots}/article-personal-360.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert watched.problems() == []
