"""axe-core on every page, in the light and the dark scheme: no serious or critical violation,
one h1 per page, and nothing that scrolls sideways at 360 px.

axe-core comes bundled in the axe-playwright-python dev dependency (no download at test time)
and is injected by an init script, which the pages' Content-Security-Policy does not govern.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.extensions import db
from app.importing import parse_article
from app.services.annotations import NewAnnotation, post_annotation
from app.services.articles import add_article, revise_article
from app.services.moderation import flag_annotation
from tests.authz.accounts_rows import confirm_path, reset_path, unsubscribe_path
from tests.authz.world import build_world
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

axe_package = pytest.importorskip("axe_playwright_python", reason="axe-playwright-python missing")
AXE = (Path(axe_package.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
SERIOUS = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({id: v.id, impact: v.impact,
    targets: v.nodes.slice(0, 3).map((n) => n.target.join(" "))}));
}"""


NARROW, WIDE = {"width": 360, "height": 900}, {"width": 1280, "height": 900}
ESSAY = "# The Reading\n\nA first paragraph to argue about.\n\nA second paragraph with 32% in it.\n"


def _audit(page: Any, label: str, found: dict[str, list[str]], counts: dict[str, int]) -> None:
    """axe in both schemes on the page as it is now; the h1 count and the 360 px width once."""
    h1 = page.locator("h1").count()
    if h1 != 1:
        found.setdefault(label, []).append(f"{h1} h1 elements")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        violations = [v for v in page.evaluate(RUN_AXE) if v["impact"] in SERIOUS]
        counts[f"{label} [{scheme}]"] = len(violations)
        for v in violations:
            found.setdefault(f"{label} [{scheme}]", []).append(
                f"{v['id']} ({v['impact']}): {v['targets']}"
            )
    page.set_viewport_size(NARROW)  # the same page on a phone: no reload needed
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > NARROW["width"]:
        found.setdefault(label, []).append(f"scrolls sideways at 360 px ({width} px wide)")
    page.set_viewport_size(WIDE)


def _visit(
    page: Any,
    pages: tuple[tuple[str, str], ...],
    found: dict[str, list[str]],
    counts: dict[str, int],
) -> None:
    for label, url in pages:
        response = page.goto(url)
        if response is None or (response.status >= 400 and label != "error 404"):
            found.setdefault(label, []).append(f"{url} answered {response and response.status}")
        _audit(page, label, found, counts)


def _signed_in(open_page: Any, username: str) -> Any:
    page = open_page().page
    page.context.add_init_script(AXE)
    _sign_in(page, username)
    return page


def _sign_in(page: Any, username: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stacked-form button[type=submit]")
    page.wait_for_url("**/")


@pytest.fixture
def world(app_ctx):  # type: ignore[no-untyped-def]
    w = build_world()
    member, author = w.users["member"], w.users["author"]
    public = post_annotation(member, w.article, NewAnnotation("p2", "support", "Well argued."))
    post_annotation(author, w.article, NewAnnotation("p2", "counterargument", "Not so.", public.id))
    post_annotation(author, w.article, NewAnnotation("p3", "question", "Which year?"))
    flag_annotation(member, w.note, "spam")
    # An article of the instructor's own with two revisions: its edit, health and diff pages.
    reading = add_article(w.users["instructor"], parse_article(ESSAY, "md"), "reading").article
    revise_article(w.users["instructor"], reading, parse_article(ESSAY.replace("32%", "33%"), "md"))
    db.session.commit()
    return w


def test_every_page_passes_axe_in_light_and_dark(open_page, world) -> None:
    found: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    code, note = world.group.join_code, world.note.id

    anonymous = open_page().page
    anonymous.context.add_init_script(AXE)
    _visit(
        anonymous,
        (
            ("home", "/"),
            ("article, anonymous", "/articles/essay"),
            ("paragraph page", "/articles/essay/p/p2"),
            ("debate view", "/articles/essay/p/p2?view=debate"),
            ("overview", "/articles/essay/overview"),
            ("all notes", "/articles/essay/notes"),
            ("revisions", "/articles/reading/revisions"),
            ("revision diff", "/articles/reading/revisions/diff?from=1&to=2"),
            ("search", "/search?q=argue"),
            ("member page", "/people/author"),
            ("login", "/login"),
            ("register", "/register"),
            ("forgot password", "/password/forgot"),
            ("reset password", reset_path(world)),
            ("confirm address", confirm_path(world)),
            ("unsubscribe", unsubscribe_path(world)),
            ("invite", f"/groups/join/{code}"),
            ("error 404", "/articles/no-such-article"),
        ),
        found,
        counts,
    )

    author = _signed_in(open_page, "author")
    _visit(
        author,
        (
            ("article, signed in", "/articles/essay"),
            ("article, group view", "/articles/essay?group=seminar"),
            ("account and devices", "/account"),
            ("profile", "/account/profile"),
            ("mail settings", "/account/mail"),
            ("delete account", "/account/delete"),
            ("groups", "/groups"),
            ("group page", "/groups/seminar"),
            ("join", "/groups/join"),
            ("notifications", "/notifications"),
        ),
        found,
        counts,
    )
    author.goto("/articles/essay")
    author.locator("#p2 summary.discussion-toggle").click()
    author.locator("#p2 [data-compose]").click()
    author.locator("#p2 form.composer textarea").wait_for()
    _audit(author, "article, composer open", found, counts)

    member = _signed_in(open_page, "member")
    _visit(member, (("flag", f"/annotations/{note}/flag"),), found, counts)

    teacher = _signed_in(open_page, "instructor")
    _visit(
        teacher,
        (
            ("queue", "/groups/seminar/moderation"),
            ("log", "/groups/seminar/moderation/log"),
            ("feedback", f"/annotations/{note}/feedback"),
            ("participation and stuck", "/groups/seminar/insight"),
            ("a student's work", "/groups/seminar/members/author/work"),
            ("print", "/articles/essay/print?group=seminar"),
            ("edit article", "/articles/reading/edit"),
            ("anchor health", "/articles/reading/health"),
            ("add an article", "/articles/new"),
        ),
        found,
        counts,
    )
    teacher.fill("textarea[name=source]", ESSAY)
    teacher.click("form button[type=submit]:has-text('Preview')")
    teacher.locator("button:has-text('Publish')").wait_for()
    _audit(teacher, "article preview", found, counts)

    admin = _signed_in(open_page, "admin")
    _visit(
        admin,
        (
            ("admin people", "/admin/people"),
            ("admin audit", "/admin/audit"),
            ("public queue", "/moderation/public"),
            ("public moderation log", "/moderation/public/log"),
        ),
        found,
        counts,
    )

    print("axe serious/critical violations per page:", counts)  # the closing note's numbers
    assert found == {}


def test_at_360_px_the_discussion_is_a_bottom_sheet_and_nothing_scrolls_sideways(
    open_page, world
) -> None:
    page = open_page(width=360).page
    _sign_in(page, "author")
    for url in ("/articles/essay", "/articles/essay/p/p2?view=debate", "/groups/seminar"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, url
    page.goto("/articles/essay")
    page.locator("#p2 summary.discussion-toggle").click()
    panel = page.locator("#p2 .discussion-panel")
    assert panel.evaluate("el => getComputedStyle(el).position") == "fixed"
    box = panel.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] == pytest.approx(900, abs=1)  # flush with the bottom
    page.locator("#p2 [data-close-discussion]").click()
    assert not panel.is_visible()


def test_opening_a_discussion_leaves_no_gap_in_the_reading_column(open_page, world) -> None:
    page = open_page().page
    _sign_in(page, "author")
    page.goto("/articles/essay")
    before = page.locator("#p3").bounding_box()

    page.locator("#p2 summary.discussion-toggle").click()
    page.locator("#p2 .discussion-panel").wait_for()

    after = page.locator("#p3").bounding_box()
    assert before is not None
    assert after is not None
    assert after["y"] == pytest.approx(before["y"], abs=2)  # the panel floats beside the text
