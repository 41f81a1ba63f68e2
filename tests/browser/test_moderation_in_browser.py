"""Moderation in a real browser: a member flags, the instructor hides from the queue in place,
the author reads the reason; the same without JavaScript; the switcher and the copy button."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Annotation
from tests.browser.conftest import sync_api
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

REASON = "Please keep it civil"


@pytest.fixture
def classroom(make):  # type: ignore[no-untyped-def]
    teacher = make.user("teacher", role="instructor", display_name="Ms Teacher")
    ann = make.user("ann", display_name="Ann Author")
    bob = make.user("bob", display_name="Bob Reader")
    article = make.article(title="The Reading")
    group = make.groups.group(teacher, "Seminar", articles=(article,))
    make.groups.join(ann, group)
    make.groups.join(bob, group)
    note = make.groups.group_note(ann, article, group, body="You are *all* wrong.")
    return teacher, ann, bob, article, group, note


def _sign_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stacked-form button[type=submit]")
    page.wait_for_url("**/")


def _mark(page) -> None:  # type: ignore[no-untyped-def]
    page.evaluate("window.__stayed = 'here'")


def _still_same_page(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("window.__stayed") == "here"


def _status(note_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Annotation, note_id).status


def test_a_flag_reaches_the_queue_and_the_hide_reason_reaches_the_author(
    open_page, classroom
) -> None:
    teacher, ann, bob, article, group, note = classroom
    paragraph = f"/articles/{article.slug}/p/p2?group={group.slug}"

    member = open_page()
    _sign_in(member.page, bob.username)
    member.page.goto(paragraph)
    _mark(member.page)
    item = member.page.locator(f"li[data-annotation-id='{note.id}']")
    item.locator("[data-tool=flag] summary").click()
    item.locator("select[name=reason]").select_option("disrespectful")
    item.locator("textarea[name=details]").fill("An insult, not an argument.")
    item.locator("[data-tool=flag] button[type=submit]").click()
    member.page.locator(".flash--success").wait_for()
    assert "the instructors will take a look" in member.page.locator(".flashes").inner_text()
    assert _still_same_page(member.page)
    assert member.problems() == []

    instructor = open_page()
    page = instructor.page
    _sign_in(page, teacher.username)
    badge = page.locator("a[data-header-queue] .badge")
    assert badge.inner_text() == "1"
    page.locator("a[data-header-queue]").click()
    page.wait_for_url(f"**/groups/{group.slug}/moderation")
    _mark(page)
    queued = page.locator(f"li[data-queue-item='{note.id}']")
    assert "An insult, not an argument." in queued.locator(".flag-list").inner_text()
    assert "Bob Reader" in queued.locator(".flag-list").inner_text()
    queued.locator("form.queue-actions input[name=reason]").fill(REASON)
    queued.locator("button[value=hide]").click()
    done = page.locator(".queue-item--done")
    done.wait_for()
    assert "Hidden." in done.inner_text()
    assert page.locator("a[data-header-queue]").count() == 0  # the header's count, redrawn
    assert _still_same_page(page)
    assert _status(note.id) == "hidden"
    assert instructor.problems() == []

    author = open_page()
    _sign_in(author.page, ann.username)
    author.page.goto(f"/annotations/{note.id}")
    author.page.wait_for_url(f"**{paragraph}#a-{note.id}")
    mine = author.page.locator(f"li[data-annotation-id='{note.id}']")
    assert (
        f"Hidden by an instructor: {REASON}" in mine.locator("[data-moderation-note]").inner_text()
    )
    assert "You are all wrong." in mine.locator(".annotation-body").inner_text()
    assert author.problems() == []

    member.page.goto(paragraph)
    hidden = member.page.locator(f"li[data-annotation-id='{note.id}'] .annotation-body")
    assert hidden.inner_text() == "[hidden by an instructor]"


def test_without_javascript_flagging_and_hiding_are_plain_forms(open_page, classroom) -> None:
    teacher, _ann, bob, article, group, note = classroom
    paragraph = f"/articles/{article.slug}/p/p2?group={group.slug}"
    member = open_page(js=False).page
    _sign_in(member, bob.username)
    member.goto(paragraph)
    item = member.locator(f"li[data-annotation-id='{note.id}']")
    item.locator("[data-tool=flag] summary").click()
    item.locator("select[name=reason]").select_option("spam")
    item.locator("[data-tool=flag] button[type=submit]").click()
    member.wait_for_url(f"**{paragraph}#a-{note.id}")
    assert "the instructors will take a look" in member.locator(".flashes").inner_text()

    instructor = open_page(js=False).page
    _sign_in(instructor, teacher.username)
    instructor.goto(f"/groups/{group.slug}/moderation")
    queued = instructor.locator(f"li[data-queue-item='{note.id}']")
    queued.locator("form.queue-actions input[name=reason]").fill(REASON)
    queued.locator("button[value=hide]").click()
    instructor.wait_for_url(f"**/groups/{group.slug}/moderation")
    assert "The queue is clear." in instructor.locator("[data-queue-empty]").inner_text()
    assert _status(note.id) == "hidden"


def test_the_switcher_follows_the_choice_and_copy_puts_the_code_on_the_clipboard(
    open_page, classroom, browser
) -> None:
    teacher, _ann, _bob, article, group, note = classroom
    watched = open_page()
    page = watched.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    _sign_in(page, teacher.username)
    page.goto(f"/articles/{article.slug}")
    assert page.locator(f"[data-annotation-id='{note.id}']").count() == 0
    assert not page.locator("form[data-switcher] button").is_visible()  # JS switches at once
    page.select_option("form[data-switcher] select", group.slug)
    page.wait_for_url(f"**/articles/{article.slug}?group={group.slug}")
    assert page.locator(f"[data-annotation-id='{note.id}']").count() == 1
    assert page.locator(".scope-banner--group").is_visible()

    page.goto(f"/groups/{group.slug}")
    copy = page.locator(f"button[data-copy='{group.join_code}']")
    copy.click()
    # The clipboard write is asynchronous: the label changes once it has been granted.
    sync_api.expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == group.join_code
    # Refused (an insecure origin, a denied permission): the code is selected for the reader.
    page.evaluate("() => { navigator.clipboard.writeText = () => Promise.reject(new Error()); }")
    copy.click()
    sync_api.expect(copy).to_have_text("Selected: copy it")
    code = group.join_code
    assert page.evaluate("getSelection().toString()") == f"{code[:4]}-{code[4:]}"
    assert watched.problems() == []
