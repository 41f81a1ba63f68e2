"""Readers: split a Markdown, plain-text or HTML document into chunks (headings, paragraphs)."""

from __future__ import annotations

import re
import string
from html import escape
from html.parser import HTMLParser

from app.importing.draft import (
    CAPTION,
    CODE,
    HEADING,
    ITEM,
    NOTE,
    PARAGRAPH,
    QUOTE,
    ROW,
    Chunk,
)
from app.importing.extract import Extracted
from app.text import markdown_blocks

# A heading written "### **Why ...**" is a heading, not a bold heading: the markers go.
_BOLD_MD = re.compile(r"^(\*\*|__)(?P<inner>.+)\1$", re.DOTALL)
_BOLD_HTML = re.compile(r"^\s*<(strong|b)(?:\s[^>]*)?>(?P<inner>.*)</\1\s*>\s*$", re.I | re.S)


def _unbold_markdown(source: str) -> str:
    match = _BOLD_MD.match(source.strip())
    if match and match[1] not in match["inner"]:
        return match["inner"].strip()
    return source


def _unbold_html(source: str) -> str:
    match = _BOLD_HTML.match(source)
    if match and not re.search(rf"</?{match[1]}\b", match["inner"], re.I):
        return match["inner"].strip()
    return source


def read_markdown(source: str) -> tuple[list[Chunk], str]:
    """Chunks of a Markdown document (CommonMark); the second item is a fallback title ("")."""
    chunks = []
    for kind, level, inline, nested in markdown_blocks(source):
        if kind == HEADING:
            chunks.append(Chunk(HEADING, level, _unbold_markdown(inline), "md", nested))
        elif kind == "verbatim":
            chunks.append(Chunk(PARAGRAPH, 0, inline, "txt", nested=True))
        else:
            chunks.append(Chunk(PARAGRAPH, 0, inline, "md", nested))
    return chunks, ""


def read_text(source: str) -> tuple[list[Chunk], str]:
    """Plain text: the first line is the title, then paragraphs separated by blank lines."""
    paragraphs = [p.strip() for p in re.split(r"\n[ \t]*\n", source.strip()) if p.strip()]
    if not paragraphs:
        return [], ""
    title, _, rest = paragraphs[0].partition("\n")
    chunks = [Chunk(HEADING, 1, title.strip(), "txt")]
    for paragraph in [rest, *paragraphs[1:]]:
        if _is_caps_heading(paragraph):
            chunks.append(Chunk(HEADING, 2, string.capwords(paragraph.strip().lower()), "txt"))
        elif paragraph.strip():
            chunks.append(Chunk(PARAGRAPH, 0, " ".join(paragraph.split()), "txt"))
    return chunks, ""


def _is_caps_heading(paragraph: str) -> bool:
    """A short line of its own in capitals ("THE ISLAND EFFECT"): how typed text marks sections."""
    line = paragraph.strip()
    return (
        "\n" not in line
        and len(line) <= MAX_CAPS_HEADING
        and any(c.isalpha() for c in line)
        and line == line.upper()
        and not line.endswith((".", ",", ";"))
    )


MAX_CAPS_HEADING = 80
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_FRONT_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)\s*:\s*(?P<value>.*?)\s*$")


def split_front_matter(source: str) -> tuple[dict[str, str], str]:
    """A Markdown file's YAML front matter as flat `key: value` pairs, and the rest of it.

    Only plain scalars are read (title, author, date, source...): nothing is executed or
    resolved, as a YAML loader might.
    """
    match = _FRONT_MATTER.match(source)
    if not match:
        return {}, source
    fields = {}
    for line in match["yaml"].splitlines():
        if found := _FRONT_KEY.match(line):
            fields[found["key"].lower()] = found["value"].strip().strip("'\"")
    return fields, source[match.end() :]


def read_html(source: str) -> tuple[list[Chunk], str]:
    """HTML: h1–h6 and p (and li) become chunks; the <title> is the fallback title."""
    return read_html_report(source)[:2]  # type: ignore[return-value]


def read_html_report(source: str) -> tuple[list[Chunk], str, list[str]]:
    """read_html, and what it left out and why."""
    reader = _HtmlReader()
    # A file cut off inside a tag ("...</p><p"): a browser drops the fragment; so do we.
    reader.feed(re.sub(r"<[^>]*\Z", "", source))
    reader.close()
    return reader.chunks, " ".join(reader.title_parts).strip(), reader.dropped()


# Lines no article is made of, whatever an extractor keeps: ad labels, email and share chrome.
_BOILERPLATE = re.compile(
    r"^(advertisement|advertising|sponsored( content)?|view (this|it|this email|the email) "
    r"(online|in (your|a) browser)|unsubscribe\b|you are receiving this|share (on|this|via)\b|"
    r"(sign up|subscribe) (for|to)\b|we use cookies|accept (all )?cookies)",
    re.I,
)


def main_content(chunks: list[Chunk], found: Extracted | None) -> tuple[list[Chunk], list[str]]:
    """The chunks that are the article, by the extractor's judgement, and what was left out.

    The extractor judges whole regions of a page; a short paragraph it passed over in the
    middle of the article's own container stays (the extractor skips very short lines). The
    title (h1), captions and asides stay whatever it says: the title is read separately, the
    extractor leaves figures out, and asides are kept apart on purpose. With no judgement
    (None), every chunk stays.
    """
    if found is None:
        return chunks, []
    chunks = [chunk for chunk in chunks if chunk.text.strip()]  # Word's <o:p>&nbsp;</o:p>
    chosen = [found.contains(chunk.text) for chunk in chunks]
    article_parents = {chunk.parent for chunk, ok in zip(chunks, chosen, strict=True) if ok}
    kept, left = [], []
    for chunk, ok in zip(chunks, chosen, strict=True):
        title = chunk.kind == HEADING and chunk.level == 1
        if _BOILERPLATE.match(chunk.text.strip()):
            left.append(chunk.text)
        elif ok or title or chunk.aside or chunk.kind == CAPTION or chunk.parent in article_parents:
            kept.append(chunk)
        else:
            left.append(chunk.text)
    if not left:
        return kept, []
    sample = "; ".join(f"“{text[:50]}”" for text in left[:6])
    more = f" and {len(left) - 6} more" if len(left) > 6 else ""
    reason = "Not part of the article (advertising, sharing, sign-up, site footer and the like"
    return kept, [f"{reason}, as the main-content extractor judged): {sample}{more}"]


# Containers whose blocks are set apart (pull quotes, "related" boxes, sidebars) or are notes.
_ASIDE_CLASS = re.compile(r"pull-?quote|related|sidebar|callout|\baside\b|see-also", re.I)
_NOTES_CLASS = re.compile(r"foot-?notes?|end-?notes?|doc-endnotes", re.I)


class _HtmlReader(HTMLParser):
    """Collects the inner HTML of each block element; the sanitiser later trims it to inline.

    Headings and paragraphs, and as blocks of their own kind: list items, block quotations,
    preformatted code, table rows (cells joined by " | "), figure captions and footnotes.
    """

    BLOCKS = frozenset(
        {"h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "figcaption", "tr", "blockquote"}
    )
    CONTAINERS = frozenset({"ul", "ol"})
    CELLS = frozenset({"td", "th"})
    # Elements that group blocks: a block's innermost one is its "parent" (see main_content).
    GROUPS = frozenset({"body", "div", "section", "article", "main", "header", "footer", "aside",
                        "figure", "table", "ul", "ol", "center", "details", "dl"})  # fmt: skip
    # Never content: their text would turn up as stray words in a paragraph.
    SKIPPED = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "nav", "form"})
    VOID = frozenset({"br", "img", "hr", "wbr", "input", "meta", "link", "source"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[Chunk] = []
        self.title_parts: list[str] = []
        self._block: str | None = None
        self._parts: list[str] = []
        self._skip = 0
        self._containers = 0
        self._in_title = False
        self.skipped: dict[str, int] = {}
        self.stray: list[str] = []  # text outside any paragraph or heading
        self._quotes = 0  # open <blockquote>s
        self._groups: list[tuple[str, int]] = [("", 0)]  # open grouping elements, with ids
        self._hidden_tags: list[str] = []  # open elements a browser does not show
        self._special: list[tuple[str, str]] = []  # open (tag, "aside" | "note") containers

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            if not self._skip:
                self.skipped[tag] = self.skipped.get(tag, 0) + 1
            self._skip += 1
            return
        if self._skip:
            return
        found = dict(attrs)
        if tag not in self.VOID and _is_hidden(found):
            self.skipped["hidden"] = self.skipped.get("hidden", 0) + 1
            self._skip += 1
            self._hidden_tags.append(tag)
            return
        self._enter(tag, found)
        if tag in self.GROUPS:
            self._finish()
            self._groups.append((tag, len(self.chunks) * 1000 + len(self._groups)))
        if tag in self.BLOCKS:
            self._finish()
            self._block = tag
            self._quotes += tag == "blockquote"
        elif tag in self.CELLS and self._block == "tr":
            if self._parts:
                self._parts.append(" | ")
        elif tag in self.CONTAINERS:
            self._finish()
            self._containers += 1
        elif tag == "title":
            self._in_title = True
        elif self._block is not None:
            self._parts.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._block is not None and not self._skip:
            self._parts.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if self._hidden_tags and tag == self._hidden_tags[-1]:
            self._hidden_tags.pop()
            self._skip = max(0, self._skip - 1)
        elif tag in self.SKIPPED:
            self._skip = max(0, self._skip - 1)
        elif self._skip:
            return
        elif tag in self.BLOCKS:
            self._finish()
            if tag == "blockquote":
                self._quotes = max(0, self._quotes - 1)
            self._leave(tag)
        elif tag in self.CELLS:
            return
        elif tag in self.CONTAINERS:
            self._finish()
            self._containers = max(0, self._containers - 1)
            self._leave(tag)
        elif tag == "title":
            self._in_title = False
        elif self._block is not None and tag not in self.VOID:
            self._parts.append(f"</{tag}>")
        else:
            self._leave(tag)

    def _enter(self, tag: str, attrs: dict[str, str | None]) -> None:
        """Note a container that makes its blocks asides or notes."""
        marks = " ".join(filter(None, (attrs.get("class"), attrs.get("id"), attrs.get("role"))))
        if tag == "aside" or _ASIDE_CLASS.search(marks):
            self._special.append((tag, "aside"))
        elif _NOTES_CLASS.search(marks):
            self._special.append((tag, "note"))

    def _leave(self, tag: str) -> None:
        if self._special and self._special[-1][0] == tag:
            self._special.pop()
        if tag in self.GROUPS and any(open_tag == tag for open_tag, _id in self._groups[1:]):
            self._finish()
            while self._groups[-1][0] != tag:  # close what the page forgot to close
                self._groups.pop()
            self._groups.pop()

    def parse_html_declaration(self, i: int) -> int:
        try:
            return super().parse_html_declaration(i)
        except AssertionError:
            # Python before 3.13 gives up on a malformed "<![...>" with an AssertionError that
            # would abort the whole import; browsers read it as a bogus comment, and so do we.
            return self.parse_bogus_comment(i)

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._block is not None:
            self._parts.append(escape(data, quote=False))
        elif self._in_title:
            self.title_parts.append(data)
        elif data.strip():
            self.stray.append(" ".join(data.split()))

    def close(self) -> None:
        super().close()
        self._finish()

    def dropped(self) -> list[str]:
        """What was left out, said for the person importing."""
        said = [
            f"{n} <{tag}> element{'s' if n > 1 else ''}: {SKIP_REASONS[tag]}"
            for tag, n in sorted(self.skipped.items())
        ]
        if self.stray:
            sample = "; ".join(f"“{text[:40]}”" for text in self.stray[:5])
            more = f" and {len(self.stray) - 5} more" if len(self.stray) > 5 else ""
            said.append(f"Text outside any paragraph or heading: {sample}{more}")
        return said

    def _finish(self) -> None:
        if self._block is None:
            return
        tag, source = self._block, "".join(self._parts)
        self._block, self._parts = None, []
        if not source.strip():
            return  # a wrapper (<blockquote><p>...) or an empty element: nothing to read
        nested = self._containers > 0 or tag == "li" or self._quotes > 0
        aside = any(kind == "aside" for _tag, kind in self._special)
        parent = self._groups[-1][1]
        if tag in HEADINGS:
            chunk = Chunk(HEADING, int(tag[1]), _unbold_html(source), "html", nested, aside, parent)
        else:
            chunk = Chunk(self._kind(tag), 0, source, "html", nested, aside, parent)
        self.chunks.append(chunk)

    def _kind(self, tag: str) -> str:
        if any(kind == "note" for _tag, kind in self._special):
            return NOTE
        if tag == "blockquote" or self._quotes > 0:
            return QUOTE
        if tag == "p" and self._containers > 0:
            return ITEM  # <li><p>...</p></li>
        return BLOCK_KINDS.get(tag, PARAGRAPH)


HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
BLOCK_KINDS = {"li": ITEM, "pre": CODE, "tr": ROW, "figcaption": CAPTION}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def _is_hidden(attrs: dict[str, str | None]) -> bool:
    """An element the browser does not show: `hidden`, `aria-hidden`, or a hiding style."""
    return (
        "hidden" in attrs
        or attrs.get("aria-hidden") == "true"
        or bool(_HIDDEN_STYLE.search(attrs.get("style") or ""))
    )


SKIP_REASONS = {
    "hidden": "hidden on the page (an email's preheader, a collapsed menu)",
    "script": "scripts are never content",
    "style": "style sheets are never content",
    "noscript": "fallbacks for browsers without scripts",
    "template": "templates are not shown by browsers",
    "svg": "drawings have no text to annotate",
    "iframe": "embedded frames are other pages",
    "nav": "navigation, not part of the article",
    "form": "forms (search boxes, sign-ups), not part of the article",
}

READERS = {"md": read_markdown, "txt": read_text, "html": read_html}
