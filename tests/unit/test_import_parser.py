"""The article parser: Markdown, plain text and HTML in; title, front matter and blocks out."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

import pytest

from app.importing import ArticleDraft, format_for_path, parse_article, parse_file
from app.importing.anchors import anchor_base, slug_words, suggest_slug, unique_anchor
from app.importing.draft import Chunk
from app.importing.matching import match_blocks
from app.importing.structure import continues, parse_date
from app.services.errors import ValidationFailed
from app.text import visible_text

DEMO = Path(__file__).resolve().parents[2] / "app/data/demo/putin-nagorno-karabakh-calculus.md"
UNICODE = "Ереван — 東京 — 🙂 — e\u0301 — vis-à-vis — «ça» — \u202ertl"


@pytest.fixture(scope="module")
def demo() -> ArticleDraft:
    return parse_file(DEMO)


def texts(draft: ArticleDraft) -> list[str]:
    return [block.text for block in draft.blocks]


def test_demo_front_matter_is_recognised(demo: ArticleDraft) -> None:
    assert demo.title == "Putin's Nagorno-Karabakh Calculus Can Undermine Russian Clout in FSU"
    assert demo.standfirst == (
        "Russia's decision not to employ leverage to stop the conflict in its early stages "
        "made a lasting impression on its allies."
    )
    assert demo.author == "Simon Saradzhyan"
    assert demo.published == date(2020, 11, 19)
    assert demo.photo_credit == "Alexander Nemenov / AFP"


def test_demo_trailer_becomes_source_url_and_disclaimer_not_blocks(demo: ArticleDraft) -> None:
    assert demo.source_url == (
        "https://www.themoscowtimes.com/2020/11/19/"
        "putins-nagorno-karabakh-calculus-can-undermine-russian-clout-in-fsu-a72091"
    )
    assert demo.disclaimer == (
        "The views expressed in opinion pieces do not necessarily reflect the position of "
        "The Moscow Times."
    )
    body = " ".join(texts(demo))
    assert "Original url" not in body
    assert "themoscowtimes.com" not in body
    assert "The views expressed" not in body


def test_demo_body_starts_after_the_photo_credit(demo: ArticleDraft) -> None:
    assert demo.blocks[0].text.startswith("Dmitri Trenin, director of the Carnegie Moscow Center")
    assert all(not t.startswith(("By ", "November 19", "Alexander Nemenov")) for t in texts(demo))


def test_demo_has_three_section_headings_without_bold_markers(demo: ArticleDraft) -> None:
    headings = [(b.level, b.text, b.html) for b in demo.blocks if b.kind == "heading"]
    assert [text for _level, text, _html in headings] == [
        "Can personal animosity partly explain Putin's response to war in Karabakh?",
        "How lasting can damage be from Russia's failure to intervene early in Karabakh War?",
        "Why “loneliness” could prove to be problematic for Russia",
    ]
    assert all(level == 2 for level, _text, _html in headings)  # "###" under the title's h1
    assert all("*" not in h and "<strong>" not in h for _level, _text, h in headings)


def test_demo_counts_27_blocks_after_mending_three_page_breaks(demo: ArticleDraft) -> None:
    # 30 body headings and paragraphs in the file, three of them split by page breaks.
    assert len(demo.blocks) == 27
    assert demo.heading_count == 3


@pytest.mark.parametrize(
    "sentence",
    [
        "to keep formerly Soviet neighbors anchored to itself while preventing the emergence",
        "also ensured that Turkey and Azerbaijan would not curtail their trade with Russia.",
        "decline substantially vis-à-vis alternative “guarantors of security” in the neighborhood.",
    ],
)
def test_demo_paragraphs_split_by_page_breaks_are_joined(demo: ArticleDraft, sentence: str) -> None:
    assert sum(sentence in text for text in texts(demo)) == 1


def test_demo_related_articles_are_asides_not_blocks(demo: ArticleDraft) -> None:
    assert all("Related article" not in text for text in texts(demo))
    assert [aside.text for aside in demo.asides] == [
        "Related article: In Photos: Armenians in Nagorno-Karabakh Burn Down Homes Ahead of "
        "Azerbaijan Handover",
        "Related article: Azerbaijan Extends Armenian Pullout Deadline From Disputed Area",
        "Related article: Anger Mounts in Armenia Over Karabakh Peace Deal",
    ]
    befores = [demo.blocks[aside.after].text for aside in demo.asides if aside.after is not None]
    assert befores[0].startswith("In contrast, Moscow chose not to intervene")
    assert befores[1].startswith("So, if Russia's vital interests")
    assert befores[2].startswith("In fact, members of these organizations")


def test_demo_placeholder_links_keep_their_words_and_lose_the_link(demo: ArticleDraft) -> None:
    assert all("<a" not in block.html and 'href="#"' not in block.html for block in demo.blocks)
    assert "recently published his take on Russia's responses" in demo.blocks[0].text
    assert "acting as a “counterbalance in international affairs” even as" in " ".join(texts(demo))


def test_demo_unlinked_brackets_stay_as_written(demo: ArticleDraft) -> None:
    assert any('"distancing itself [Armenia] from Russia' in text for text in texts(demo))


def _stripped(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", markup)).split())


def test_demo_block_text_is_the_visible_text_of_its_html(demo: ArticleDraft) -> None:
    for block in demo.blocks:
        assert block.text == _stripped(block.html) == visible_text(block.html)


def test_demo_unicode_and_typography_survive_exactly(demo: ArticleDraft) -> None:
    source = DEMO.read_text(encoding="utf-8")
    plain = [b for b in demo.blocks if not re.search(r"[\[*]", b.source) and b.kind != "heading"]
    assert len(plain) > 10
    for block in plain:
        assert block.text == block.source
        assert block.text in " ".join(source.split())


def test_demo_anchor_bases_come_from_the_first_words(demo: ArticleDraft) -> None:
    first_heading = next(b for b in demo.blocks if b.kind == "heading")
    assert anchor_base(demo.blocks[0].kind, demo.blocks[0].text) == "p-dmitri-trenin-director"
    assert anchor_base(first_heading.kind, first_heading.text) == "h-can-personal-animosity"


def test_markdown_real_links_are_kept_with_rel_and_dangerous_ones_dropped() -> None:
    draft = parse_article(
        "# T\n\nSee [the source](https://example.org/a?b=1&c=2), [nothing](#), [empty](), "
        "[bad](javascript:alert(1)) and example.com.\n",
        "md",
    )
    block = draft.blocks[0]
    assert block.html.count("<a ") == 1
    assert 'href="https://example.org/a?b=1&amp;c=2"' in block.html
    assert 'rel="nofollow ugc noopener"' in block.html
    # markdown-it refuses a javascript: link outright: it stays inert, as the words written.
    assert (
        block.text == "See the source, nothing, empty, [bad](javascript:alert(1)) and example.com."
    )
    assert block.html.count("href=") == 1


def test_markdown_raw_html_is_shown_as_text_not_markup() -> None:
    draft = parse_article("# T\n\nA <script>alert(1)</script> & <b onclick=x>b</b> `a<b`\n", "md")
    block = draft.blocks[0]
    assert "<script" not in block.html
    assert "<b" not in block.html
    assert block.text == "A <script>alert(1)</script> & <b onclick=x>b</b> a<b"
    assert "<code>a&lt;b</code>" in block.html


def test_markdown_hard_line_breaks_become_spaces() -> None:
    draft = parse_article("# T\n\nOne line  \nand the next\\\nand more.\n", "md")
    assert draft.blocks[0].text == "One line and the next and more."
    assert "<br" not in draft.blocks[0].html


def test_markdown_heading_levels_are_shifted_under_the_title() -> None:
    draft = parse_article(
        "# Title\n\nText.\n\n#### **Deep**\n\nMore.\n\n##### Deeper\n\nEnd.", "md"
    )
    assert [(b.text, b.level) for b in draft.blocks if b.kind == "heading"] == [
        ("Deep", 2),
        ("Deeper", 3),
    ]


def test_markdown_partly_bold_heading_keeps_its_bold() -> None:
    draft = parse_article("# T\n\n## **One** and **two**\n\nText.", "md")
    assert draft.blocks[0].html == "<strong>One</strong> and <strong>two</strong>"


def test_markdown_list_items_are_paragraphs_never_joined() -> None:
    draft = parse_article("# T\n\nFruit we like.\n\n- apples\n- bananas\n\n> quoted words\n", "md")
    assert texts(draft) == ["Fruit we like.", "apples", "bananas", "quoted words"]


def test_markdown_without_front_matter_keeps_its_first_paragraph_as_body() -> None:
    draft = parse_article("Title\n=====\n\nFirst paragraph.\n\nSecond paragraph.\n", "md")
    assert draft.title == "Title"
    assert draft.standfirst is None
    assert draft.author is None
    assert draft.published is None
    assert texts(draft) == ["First paragraph.", "Second paragraph."]


def test_markdown_source_url_on_one_line_and_italic_closing_note() -> None:
    draft = parse_article(
        "# T\n\nBody.\n\n_Written for the class._\n\nSource: https://example.org/x\n", "md"
    )
    assert draft.source_url == "https://example.org/x"
    assert draft.disclaimer == "Written for the class."
    assert texts(draft) == ["Body."]


def test_plain_text_first_line_is_title_and_blank_lines_separate_paragraphs() -> None:
    draft = parse_article(
        "The Title\n\nBy Ann Author\n\n2021-03-04\n\nFirst line\ncontinues here.\n\n"
        "A <b>tag</b> & *stars* stay text.\n",
        "txt",
    )
    assert draft.title == "The Title"
    assert draft.author == "Ann Author"
    assert draft.published == date(2021, 3, 4)
    assert texts(draft) == ["First line continues here.", "A <b>tag</b> & *stars* stay text."]
    assert draft.blocks[1].html == "A &lt;b&gt;tag&lt;/b&gt; &amp; *stars* stay text."
    assert draft.format == "txt"


def test_plain_text_title_line_may_head_a_paragraph() -> None:
    draft = parse_article("The Title\nFirst paragraph.\n\nSecond.", "txt")
    assert draft.title == "The Title"
    assert texts(draft) == ["First paragraph.", "Second."]


def test_html_structure_inline_markup_and_scripts() -> None:
    source = """<!doctype html><html><head><title>Tab title</title>
    <style>p { color: red }</style><script>var x = "<p>no</p>";</script></head>
    <body><nav><p>Menu</p></nav>
    <h1>The <em>Title</em></h1>
    <p>By <a href="#">Ann Author</a></p>
    <p>March 4, 2021</p>
    <h2><strong>A section</strong></h2>
    <p onclick="evil()">Some <strong>bold</strong>, <em>emphasis</em>, a
       <a href="https://example.org/" onclick="x">link</a> &amp; &eacute;&nbsp;x<br>next
       <img src="x.png" alt="pic"><span style="color:red">span</span></p>
    <ul><li>one item</li><li><p>two item</p></li></ul>
    <script>alert("hidden")</script>
    </body></html>"""
    draft = parse_article(source, "html")
    assert draft.title == "The Title"
    assert draft.author == "Ann Author"
    assert draft.published == date(2021, 3, 4)
    assert [(b.kind, b.level, b.text) for b in draft.blocks] == [
        ("heading", 2, "A section"),
        ("paragraph", 0, "Some bold, emphasis, a link & é\xa0x next span"),
        # List items are blocks of their own kind (issue 8), annotatable like paragraphs.
        ("item", 0, "one item"),
        ("item", 0, "two item"),
    ]
    body = draft.blocks[1].html
    assert "<strong>bold</strong>" in body
    assert "<em>emphasis</em>" in body
    assert '<a href="https://example.org/" rel="nofollow ugc noopener">link</a>' in body
    assert all(bad not in body for bad in ("onclick", "<img", "<span", "style", "<br"))
    assert all(visible_text(b.html) == b.text for b in draft.blocks)


def test_html_without_h1_takes_its_title_element() -> None:
    draft = parse_article("<title>From the tab</title><p>Only text.</p>", "html")
    assert draft.title == "From the tab"
    assert texts(draft) == ["Only text."]


@pytest.mark.parametrize("fmt", ["md", "txt", "html"])
def test_unicode_round_trips_exactly_in_every_format(fmt: str) -> None:
    title = {"md": f"# {UNICODE}", "txt": UNICODE, "html": f"<h1>{UNICODE}</h1>"}[fmt]
    para = f"<p>{UNICODE}.</p>" if fmt == "html" else f"{UNICODE}."
    draft = parse_article(f"{title}\n\n{para}\n", fmt)
    assert draft.title == UNICODE
    assert draft.blocks[0].text == f"{UNICODE}."


def test_windows_line_endings_and_a_byte_order_mark_are_ignored() -> None:
    draft = parse_article("\ufeff# Title\r\n\r\nOne\r\ntwo.\r\n\r\nThree.\r\n", "md")
    assert draft.title == "Title"
    assert texts(draft) == ["One two.", "Three."]


def test_empty_source_gives_an_empty_draft() -> None:
    draft = parse_article(" \n\n \n", "md")
    assert (draft.title, draft.blocks, draft.slug) == ("", (), "")


def para(text: str, nested: bool = False) -> Chunk:
    return Chunk("paragraph", 0, text, "txt", nested)


@pytest.mark.parametrize(
    ("before", "after", "joined"),
    [
        ("to keep formerly Soviet", "neighbors anchored to itself.", True),
        ("ensured that Turkey and", "Azerbaijan would not curtail trade.", True),
        ("vis-à-vis alternative", "“guarantors of security” here.", True),
        ("A whole sentence.", "lowercase start is still a new paragraph.", False),
        ("A question?", "“Quoted” answer.", False),
        ("Ends with a quote”", "and lowercase.", False),
        ("A list follows:", "apples", False),
        ("Signed Moscow Times", "Another paragraph starts.", False),
    ],
)
def test_page_break_rule(before: str, after: str, joined: bool) -> None:
    assert continues(para(before), para(after)) is joined


def test_page_break_rule_never_joins_headings_or_list_items() -> None:
    heading = Chunk("heading", 2, "A heading without a stop", "txt")
    assert not continues(heading, para("continues lowercase."))
    assert not continues(para("item one", nested=True), para("item two", nested=True))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("November 19, 2020", date(2020, 11, 19)),
        ("Nov. 19 2020", date(2020, 11, 19)),
        ("Sept 9, 2021", date(2021, 9, 9)),
        ("19 November 2020", date(2020, 11, 19)),
        ("Thursday, November 19, 2020", date(2020, 11, 19)),
        ("2020-11-19", date(2020, 11, 19)),
        ("February 30, 2020", None),
        ("Ma 3, 2020", None),
        ("November 2020", None),
        ("The 19th of November", None),
    ],
)
def test_publication_dates(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


def test_unparseable_date_line_is_kept_as_body_text() -> None:
    draft = parse_article("# T\n\nBy Ann\n\nLate autumn, 2020\n\nBody.", "md")
    assert draft.author == "Ann"
    assert draft.published is None
    assert texts(draft) == ["Late autumn, 2020", "Body."]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("a.md", "md"), ("a.MARKDOWN", "md"), ("a.txt", "txt"), ("a.html", "html"), ("a.htm", "html")],
)
def test_format_comes_from_the_extension(name: str, fmt: str) -> None:
    assert format_for_path(Path(name)) == fmt


def test_unknown_extension_or_format_is_a_validation_error() -> None:
    with pytest.raises(ValidationFailed) as caught:
        format_for_path(Path("article.docx"))
    assert "format" in caught.value.fields
    with pytest.raises(ValidationFailed):
        parse_article("x", "docx")


def test_a_file_in_windows_1252_is_read_and_one_in_neither_encoding_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Café\n\nSome “text”.".encode("cp1252"))
    assert parse_file(path).title == "Café"
    path.write_bytes(b"Caf\xe9\x81\n\nSome text.")
    with pytest.raises(ValidationFailed, match="not a text file"):
        parse_file(path)


def test_format_override_beats_the_extension(tmp_path: Path) -> None:
    path = tmp_path / "article.md"
    path.write_text("# Not a heading in text\n\n*not emphasis*", encoding="utf-8")
    draft = parse_file(path, "txt")
    assert draft.title == "# Not a heading in text"
    assert texts(draft) == ["*not emphasis*"]


def test_slugs_and_anchors_are_ascii_folded_and_short() -> None:
    assert slug_words("Vis-à-vis Russia’s “loneliness”") == [
        "vis",
        "a",
        "vis",
        "russias",
        "loneliness",
    ]
    assert suggest_slug("Putin's Nagorno-Karabakh Calculus") == "putins-nagorno-karabakh-calculus"
    long = anchor_base("paragraph", "Pneumonoultramicroscopicsilicovolcanoconiosis " * 3)
    assert len(long) <= 48
    assert re.fullmatch(r"[a-z0-9-]+", long)
    assert anchor_base("paragraph", "Ереван 東京") == "p"


def test_unique_anchor_adds_a_counter() -> None:
    assert unique_anchor("p-one", set()) == "p-one"
    assert unique_anchor("p-one", {"p-one", "p-one-2"}) == "p-one-3"


P = "paragraph"


def test_matching_keeps_unchanged_blocks_around_an_insertion() -> None:
    old = [(P, "alpha one"), (P, "beta two"), (P, "gamma three")]
    new = [(P, "alpha one"), (P, "inserted"), (P, "beta two"), (P, "gamma three")]
    assert match_blocks(old, new) == {0: 0, 2: 1, 3: 2}


def test_matching_follows_a_moved_block_and_an_edited_one() -> None:
    old = [(P, "alpha one"), (P, "beta two"), (P, "gamma three")]
    new = [(P, "gamma three"), (P, "alpha one"), (P, "beta two, edited")]
    assert match_blocks(old, new) == {0: 2, 1: 0, 2: 1}


def test_matching_pairs_an_edit_next_to_an_insertion_by_likeness() -> None:
    old = [(P, "alpha one"), (P, "beta two three four")]
    new = [(P, "alpha one"), (P, "something new entirely"), (P, "beta two three four!")]
    assert match_blocks(old, new) == {0: 0, 2: 1}


def test_matching_never_pairs_a_heading_with_a_paragraph() -> None:
    assert match_blocks([("heading", "Same")], [(P, "Same")]) == {}
