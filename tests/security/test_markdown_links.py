"""Notes keep links to the app's own pages and anchors, and show an image as a link to it.

Before, `[paragraph 3](#p-…)` and `[the article](/articles/…)` lost their target and an image
vanished with its alt text. No remote image is ever loaded, and no link leaves for another
site unless it says so with http(s).
"""

from __future__ import annotations

import pytest

from app.text import render_article_block, render_markdown
from tests.functional.web.page import parse

REL = "nofollow ugc noopener"


def _links(source: str) -> list[tuple[str | None, str]]:
    page = parse(render_markdown(source).encode())
    return [(a.attrs.get("href"), a.text) for a in page.find_all("a")]


@pytest.mark.parametrize(
    ("source", "href"),
    [
        ("[paragraph 3](#p-3f2a)", "#p-3f2a"),
        ("[the article](/articles/essay)", "/articles/essay"),
        ("[that note](/articles/essay/p/p2#a-12)", "/articles/essay/p/p2#a-12"),
        ("[search](/search?q=free+will)", "/search?q=free+will"),
    ],
)
def test_links_to_the_apps_own_pages_and_anchors_keep_their_target(source, href) -> None:
    html = render_markdown(source)
    assert _links(source) == [(href, source[1 : source.index("]")])]
    assert f'rel="{REL}"' in html


@pytest.mark.parametrize(
    "source",
    [
        "[x](//evil.example/)",
        "[x](\\\\evil.example)",
        "[x](javascript:alert(1))",
        "[x](data:text/html,hi)",
        "[x](page.html)",
        "[x](../up)",
        "[x](#)",
    ],
)
def test_links_elsewhere_or_relative_to_nowhere_keep_only_their_text(source) -> None:
    assert _links(source) == []
    assert "x" in render_markdown(source)


def test_a_backslash_path_stays_a_path_on_this_site() -> None:
    # Markdown encodes the backslash, so browsers cannot read "/\\host" as another site.
    assert _links("[x](/\\evil.example)") == [("/%5Cevil.example", "x")]


def test_an_image_becomes_a_link_named_by_its_alt_text() -> None:
    html = render_markdown("See ![the chart](https://stats.example/chart.png).")
    assert "<img" not in html
    assert _links("![the chart](https://stats.example/chart.png)") == [
        ("https://stats.example/chart.png", "the chart")
    ]
    assert f'rel="{REL}"' in html


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("![](https://stats.example/c.png)", [("https://stats.example/c.png", "https://stats.example/c.png")]),
        ("![<b>x</b>](https://stats.example/c.png)", [("https://stats.example/c.png", "<b>x</b>")]),
        ("![x](javascript:alert(1))", []),
        ("![x](data:image/png;base64,AAAA)", []),
        ("[![logo](https://img.example/l.png)](https://site.example/)",
         [("https://site.example/", "logo")]),
    ],
)  # fmt: skip
def test_images_never_load_and_never_carry_script(source, expected) -> None:
    html = render_markdown(source)
    assert not any(tag in html for tag in ("<img", "<script", "<b>"))
    assert _links(source) == expected


def test_article_blocks_still_drop_relative_links() -> None:
    # An imported article's relative links point into the site it came from, not this one.
    html, text = render_article_block("[home](/index.html) and [there](https://x.example)", "md")
    assert 'href="/index.html"' not in html
    assert "https://x.example" in html
    assert text == "home and there"
