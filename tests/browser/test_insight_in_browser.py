"""Class insight in a real browser: the dashboard with JavaScript off and at 360 px, a student's
page, search, and the exports downloaded from the dashboard."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.extensions import db
from app.services.feedback import give_feedback
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def classroom(make):  # type: ignore[no-untyped-def]
    teacher = make.user("teacher", role="instructor", display_name="Ms Teacher")
    ann = make.user("ann", display_name="Ann Author")
    bob = make.user("bob", display_name="=Bob Formula")
    article = make.article(title="The Reading")
    group = make.groups.group(teacher, "Seminar", articles=(article,))
    make.groups.join(ann, group)
    make.groups.join(bob, group)
    note = make.groups.group_note(ann, article, group, kind="question", body="Why the tariffs?")
    give_feedback(teacher, note, "Name the claim you doubt.")
    db.session.commit()
    return SimpleNamespace(teacher=teacher, bob=bob, article=article, group=group, note=note)


def _sign_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stacked-form button[type=submit]")
    page.wait_for_url("**/")


def test_the_dashboard_and_a_students_page_work_without_javascript_at_360px(
    open_page, classroom
) -> None:
    c = classroom
    watched = open_page(js=False, width=360)
    page = watched.page
    _sign_in(page, c.teacher.username)
    page.goto(f"/groups/{c.group.slug}")
    page.click("text=Participation")
    page.select_option("select[name=article]", c.article.slug)
    page.click("form.insight-filter button[type=submit]")
    assert page.locator("svg.chart-svg").count() >= 3  # members, days, paragraphs
    row = page.locator("tr[data-member=ann]")
    assert row.locator("td").first.inner_text() == "0"  # comments
    assert "Ann Author" in row.inner_text()
    # Nothing wider than the screen but the tables' own scrolling regions.
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 360
    page.click("tr[data-member=ann] a")
    page.wait_for_url(f"**/groups/{c.group.slug}/members/ann/work")
    item = page.locator(f"[data-work-item='{c.note.id}']")
    assert "Why the tariffs?" in item.inner_text()
    assert "Name the claim you doubt." in item.inner_text()
    assert watched.problems() == []


def test_search_finds_and_marks_the_words_and_the_filters_narrow(open_page, classroom) -> None:
    c = classroom
    watched = open_page()
    page = watched.page
    _sign_in(page, c.bob.username)
    page.click("a.nav-search")
    page.fill("input[name=q]", "tariff")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=tariff*")
    hit = page.locator(f"[data-annotation-id='{c.note.id}']")
    assert hit.locator("mark").inner_text().lower().startswith("tariff")
    page.click("summary")
    page.select_option("select[name=kind]", "support")
    page.click("form.search-form button[type=submit]")
    assert page.locator(f"[data-annotation-id='{c.note.id}']").count() == 0
    assert "No notes match" in page.inner_text("[data-search-results]")
    assert watched.problems() == []


def test_the_exports_download_from_the_dashboard(open_page, classroom) -> None:
    c = classroom
    watched = open_page()
    page = watched.page
    _sign_in(page, c.teacher.username)
    page.goto(f"/groups/{c.group.slug}/insight?article={c.article.slug}")
    with page.expect_download() as gradebook:
        page.click("[data-export=gradebook]")
    text = Path(gradebook.value.path()).read_text(encoding="utf-8-sig")
    rows = {r["username"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["ann"]["questions"] == "1"
    assert rows["bob"]["display_name"] == "'=Bob Formula"
    with page.expect_download() as annotations:
        page.click("[data-export=json]")
    exported = json.loads(Path(annotations.value.path()).read_text(encoding="utf-8"))
    assert [i["body"] for i in exported["items"]] == ["Why the tariffs?"]
    jsonld = page.request.get(page.locator("[data-export=jsonld]").get_attribute("href"))
    assert jsonld.json()["type"] == "AnnotationCollection"
    assert watched.problems() == []
