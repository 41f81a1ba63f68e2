"""The one place user and article text becomes HTML: Markdown, then a bleach allowlist.

It runs when text is saved; templates print only what it stored. No other module imports
bleach or the Markdown library.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from functools import lru_cache, partial
from html import escape
from html.parser import HTMLParser
from typing import Any

import bleach
from bleach.linkifier import Linker, LinkifyFilter
from bleach.sanitizer import Cleaner
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
        "a", "h3", "h4", "h5", "h6", "hr", "del", "s", "sup", "sub",
    }
)  # fmt: skip
INLINE_TAGS = frozenset({"strong", "em", "b", "i", "code", "a", "del", "s", "sup", "sub", "br"})
MENTION_CLASS = "mention"
# An @name in a note: not inside a word or an address (name@example.edu is not a mention).
MENTION_RE = re.compile(r"(?<![\w@/.+-])@([a-z0-9][a-z0-9_.-]{1,38}[a-z0-9])", re.IGNORECASE)


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if tag != "a":
        return False
    # A class only our mention links carry: Markdown (raw HTML off) cannot produce one.
    return name in ("href", "title", "rel") or (name == "class" and value == MENTION_CLASS)


ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"
# An article block is one run of flowing text: a <br> would put a newline into what a reader
# selects, so breaks become spaces.
ARTICLE_TAGS = INLINE_TAGS - {"br"}
ARTICLE_MARKUPS = ("md", "html", "txt")
# The whitespace HTML collapses (not U+00A0, which a browser keeps).
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # Raw HTML in a body is shown as text, never passed through: the allowlist is a second fence.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("strikethrough")
    return md


@lru_cache(maxsize=1)
def _note_markdown() -> MarkdownIt:
    """Markdown for notes: an image becomes a link to it, named by its alt text.

    No remote image is ever loaded into a page (the CSP allows none, and a reader's address
    is nobody's business); the alt text and the link keep what the writer meant.
    """
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("strikethrough")
    md.add_render_rule("image", _image_as_link)
    return md


def _image_as_link(self: Any, tokens: list, idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env).strip()
    label = escape(alt or src or "image", quote=False)
    opened = sum(1 if t.type == "link_open" else -1 if t.type == "link_close" else 0
                 for t in tokens[:idx])  # fmt: skip
    # A linked image is the link's text: a link inside a link would be two half links.
    return f'<a href="{escape(src)}">{label}</a>' if src and not opened else label


def _is_mention(attrs: dict) -> bool:
    href = attrs.get((None, "href"), "")
    return attrs.get((None, "class")) == MENTION_CLASS and href.startswith("/people/")


def _set_rel(attrs: dict, new: bool = False) -> dict | None:
    href = attrs.get((None, "href"), "")
    if _is_mention(attrs):
        return attrs  # our own link to a member's page: same site, no rel needed
    if not href.lower().startswith(("http://", "https://", "mailto:")):
        return None  # relative, javascript:, data: and other schemes lose the link, keep the text
    attrs[(None, "rel")] = LINK_REL
    return attrs


def is_local_link(href: str) -> bool:
    """An anchor on the same page ("#p-…") or a path on this site ("/articles/…").

    Not "//host" or "/\\host" (browsers read both as another site), nor a path relative to
    wherever the note happens to be shown ("page.html", "../x").
    """
    if href.startswith("#"):
        return len(href) > 1 and not any(ch.isspace() or ord(ch) < 32 for ch in href)
    if not href.startswith("/") or href.startswith("//") or "\\" in href:
        return False
    return not any(ch.isspace() or ord(ch) < 32 for ch in href)


def _set_rel_note(attrs: dict, new: bool = False) -> dict | None:
    """A note's links: those _set_rel keeps, and links to the app's own pages and anchors."""
    href = attrs.get((None, "href"), "")
    if is_local_link(href) and not _is_mention(attrs):  # a mention is ours: _set_rel keeps it
        attrs[(None, "rel")] = LINK_REL
        return attrs
    return _set_rel(attrs, new)


_local = threading.local()


def _cleaner(tags: frozenset[str], local_links: bool = False) -> Cleaner:
    """A Cleaner per thread and tag set: bleach's parser keeps state, so threads can't share."""
    cache: dict[tuple[frozenset[str], bool], Cleaner] = _local.__dict__.setdefault("cleaners", {})
    if (tags, local_links) not in cache:
        cache[tags, local_links] = _new_cleaner(tags, local_links)
    return cache[tags, local_links]


def _new_cleaner(tags: frozenset[str], local_links: bool) -> Cleaner:
    # One parse does both jobs: the allowlist, then links (with our rel) through a filter.
    # No skip_tags: bleach escapes the text inside skipped tags a second time (`a<b` in code
    # would show as `a&lt;b`); a URL in code becoming a link is the lesser harm.
    callback = _set_rel_note if local_links else _set_rel
    linkify = partial(LinkifyFilter, callbacks=[callback], parse_email=False)
    return Cleaner(
        tags=tags,
        attributes=_allowed_attribute,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[linkify],
    )


def _clean(html: str, tags: frozenset[str], local_links: bool = False) -> str:
    return _cleaner(tags, local_links).clean(html)


def count_words(body: str) -> int:
    """A note's words as participation counts them: runs of non-whitespace (str.split). Stored
    with each note (annotations.word_count) so reports sum them in SQL; migration 0012 holds a
    frozen copy of this rule for its backfill."""
    return len(body.split())


def mentioned_names(source: str) -> list[str]:
    """The distinct @names in a body, lower-cased, in order of first appearance."""
    return list(dict.fromkeys(m.group(1).lower() for m in MENTION_RE.finditer(source)))


def _mention_tokens(text: str, links: Mapping[str, str]) -> list[Token]:
    out: list[Token] = []
    last = 0
    for match in MENTION_RE.finditer(text):
        href = links.get(match.group(1).lower())
        if href is None:
            continue  # an unknown name stays text: a mention of nobody links nowhere
        if match.start() > last:
            out.append(Token("text", "", 0, content=text[last : match.start()]))
        opener = Token("link_open", "a", 1, attrs={"href": href, "class": MENTION_CLASS})
        out += [opener, Token("text", "", 0, content=match.group(0)), Token("link_close", "a", -1)]
        last = match.end()
    if last < len(text):
        out.append(Token("text", "", 0, content=text[last:]))
    return out


def _link_mentions(tokens: list[Token], links: Mapping[str, str]) -> None:
    """Turn @name in plain text (not in code or an existing link) into a link to that member."""
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        children: list[Token] = []
        in_link = 0
        for child in token.children:
            in_link += child.nesting if child.type in ("link_open", "link_close") else 0
            if child.type == "text" and not in_link and "@" in child.content:
                children += _mention_tokens(child.content, links)
            else:
                children.append(child)
        token.children = children


def render_markdown(source: str, mentions: Mapping[str, str] | None = None) -> str:
    """Render a user's Markdown body to safe HTML for storage next to the source.

    Unlike an imported article's links (relative to the site it came from), a note's relative
    links point into this app ("[paragraph 3](#p-…)", "[the article](/articles/…)") and stay.
    `mentions` maps the lower-cased @names that are members to the link each becomes.
    """
    md = _note_markdown()
    if mentions:
        tokens = md.parse(source)
        _link_mentions(tokens, mentions)
        html = md.renderer.render(tokens, md.options, {})
    else:
        html = md.render(source)
    # Headings in a margin note would outrank the article's own: demote them.
    for level in (1, 2):
        html = html.replace(f"<h{level}>", "<h4>").replace(f"</h{level}>", "</h4>")
    return _clean(html, ALLOWED_TAGS, local_links=True).strip()


def render_inline_markdown(source: str) -> str:
    """Render one block of article text (inline Markdown only) to safe HTML."""
    return _clean(_markdown().renderInline(source), INLINE_TAGS)


def sanitize_inline_html(html: str) -> str:
    """Clean an imported HTML fragment down to the inline allowlist."""
    return _clean(html, INLINE_TAGS)


@lru_cache(maxsize=1)
def _article_linker() -> Linker:
    # Keeps the author's own http(s) links (with our rel) and invents none: a URL-looking word
    # in an article stays a word. No skip_tags: bleach escapes text in skipped tags twice.
    return Linker(url_re=re.compile(r"(?!)"), callbacks=[_set_rel], parse_email=False)


def render_article_block(source: str, markup: str) -> tuple[str, str]:
    """One article block as (safe inline HTML, its visible text).

    `markup` says what `source` is: "md" (inline Markdown), "html" (an HTML fragment) or
    "txt" (plain text). The text is exactly what a reader selecting the rendered HTML gets:
    entities decoded, whitespace collapsed as a browser does; quotes are matched against it.
    """
    if markup == "md":
        raw = _markdown().renderInline(source)
    elif markup == "html":
        raw = source
    elif markup == "txt":
        raw = escape(source, quote=False)
    else:
        raise ValueError(f"unknown markup {markup!r}; expected one of {ARTICLE_MARKUPS}")
    cleaned = bleach.clean(
        _LINE_BREAK.sub(" ", raw),  # stripping the tag alone would glue two words together
        tags=ARTICLE_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    html = _HTML_SPACE.sub(" ", _article_linker().linkify(cleaned)).strip()
    return html, visible_text(html)


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible_text(html: str) -> str:
    """The text a browser shows for inline HTML: entities decoded, whitespace collapsed."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return _HTML_SPACE.sub(" ", "".join(collector.parts)).strip()


def markdown_blocks(source: str) -> list[tuple[str, int, str, bool]]:
    """The block structure of a Markdown document, for the article importer.

    Each block is (kind, level, inline source, nested): kind is "heading", "paragraph" or
    "verbatim" (a code block, whose source is plain text); nested marks text inside a list or
    quote, which is never joined to a neighbour.
    """
    blocks: list[tuple[str, int, str, bool]] = []
    depth = 0
    tokens = _markdown().parse(source)
    for index, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open", "blockquote_open"):
            depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close", "blockquote_close"):
            depth -= 1
        elif token.type == "inline":
            opener = tokens[index - 1]
            if opener.type == "heading_open":
                blocks.append(("heading", int(opener.tag[1:]), token.content, depth > 0))
            else:
                blocks.append(("paragraph", 0, token.content, depth > 0))
        elif token.type in ("fence", "code_block"):
            blocks.append(("verbatim", 0, token.content, True))
    return blocks


# Marks around matched words in a search snippet: control characters no typed text carries
# (a body holding one only marks a word; the snippet is escaped before the marks become tags).
SNIPPET_OPEN = "\x02"
SNIPPET_CLOSE = "\x03"


def render_snippet(raw: str) -> str:
    """A search snippet as safe HTML: everything escaped, the matched words in <mark>."""
    escaped = str(escape(raw, quote=False))
    return escaped.replace(SNIPPET_OPEN, "<mark>").replace(SNIPPET_CLOSE, "</mark>")
