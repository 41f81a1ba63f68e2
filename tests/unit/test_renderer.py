"""The text renderer: Markdown in, sanitised HTML out, nothing executable survives."""

from __future__ import annotations

import pytest

from app.text import render_inline_markdown, render_markdown, visible_text


def test_markdown_emphasis_and_lists_render() -> None:
    html = render_markdown("*really*?\n\n- one\n- **two**")
    assert "<em>really</em>" in html
    assert "<li><strong>two</strong></li>" in html


def test_raw_html_in_a_body_is_shown_as_text_not_markup() -> None:
    html = render_markdown("<script>alert(1)</script> <b onclick=x>hi</b>")
    assert "<script" not in html
    assert "onclick" not in html.replace("&lt;b onclick", "")
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](vbscript:msgbox)",
        "![img](javascript:alert(1))",
    ],
)
def test_dangerous_link_schemes_lose_their_link(source: str) -> None:
    html = render_markdown(source)
    assert "<a" not in html  # the words stay, as inert text
    assert "<img" not in html
    assert "href" not in html


def test_a_dangerous_href_in_a_link_that_reaches_bleach_is_removed() -> None:
    html = render_markdown("<https://ok.example/> and [x](https://fine.example/)")
    assert html.count("<a ") == 2


def test_links_get_nofollow_ugc_noopener() -> None:
    html = render_markdown("see [the source](https://example.org/a) and https://example.com/b")
    assert html.count('rel="nofollow ugc noopener"') == 2
    assert 'href="https://example.com/b"' in html


def test_big_headings_are_demoted_below_the_article_headings() -> None:
    html = render_markdown("# Loud\n\n## Louder")
    assert "<h1>" not in html
    assert "<h2>" not in html
    assert html.count("<h4>") == 2


def test_unicode_round_trips() -> None:
    text = "Ереван — 東京 — 🙂 — e\u0301 — ‮rtl"
    assert visible_text(render_markdown(text)) == text


def test_inline_renderer_keeps_emphasis_and_drops_block_tags() -> None:
    assert render_inline_markdown("a *b* **c**") == "a <em>b</em> <strong>c</strong>"
    assert "<p>" not in render_inline_markdown("# not a heading")


def test_code_spans_are_escaped_exactly_once() -> None:
    assert render_markdown("`a<b && c`") == "<p><code>a&lt;b &amp;&amp; c</code></p>"


def test_rendering_from_many_threads_at_once_gives_the_same_html() -> None:
    from concurrent.futures import ThreadPoolExecutor

    source = "*a* https://example.org `x<y` [bad](javascript:z)"
    expected = render_markdown(source)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: render_markdown(source), range(200)))
    assert set(results) == {expected}
