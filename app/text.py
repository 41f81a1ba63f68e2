"""The one place user and article text becomes HTML: Markdown, then a bleach allowlist.

It runs when text is saved; templates print only what it stored. No other module imports
bleach or the Markdown library.
"""

from __future__ import annotations

from functools import lru_cache

import bleach
from bleach.linkifier import Linker
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
        "a", "h3", "h4", "h5", "h6", "hr", "del", "s", "sup", "sub",
    }
)  # fmt: skip
INLINE_TAGS = frozenset({"strong", "em", "b", "i", "code", "a", "del", "s", "sup", "sub", "br"})
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # Raw HTML in a body is shown as text, never passed through: the allowlist is a second fence.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("strikethrough")
    return md


def _set_rel(attrs: dict, new: bool = False) -> dict | None:
    href = attrs.get((None, "href"), "")
    if not href.lower().startswith(("http://", "https://", "mailto:")):
        return None  # relative, javascript:, data: and other schemes lose the link, keep the text
    attrs[(None, "rel")] = LINK_REL
    return attrs


@lru_cache(maxsize=1)
def _linker() -> Linker:
    return Linker(callbacks=[_set_rel], skip_tags={"pre", "code"}, parse_email=False)


def _clean(html: str, tags: frozenset[str]) -> str:
    cleaned = bleach.clean(
        html,
        tags=tags,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    return _linker().linkify(cleaned)


def render_markdown(source: str) -> str:
    """Render a user's Markdown body to safe HTML for storage next to the source."""
    html = _markdown().render(source)
    # Headings in a margin note would outrank the article's own: demote them.
    for level in (1, 2):
        html = html.replace(f"<h{level}>", "<h4>").replace(f"</h{level}>", "</h4>")
    return _clean(html, ALLOWED_TAGS).strip()


def render_inline_markdown(source: str) -> str:
    """Render one block of article text (inline Markdown only) to safe HTML."""
    return _clean(_markdown().renderInline(source), INLINE_TAGS)


def sanitize_inline_html(html: str) -> str:
    """Clean an imported HTML fragment down to the inline allowlist."""
    return _clean(html, INLINE_TAGS)


def plain_text(html: str) -> str:
    """The visible text of sanitised HTML, as a reader would select it."""
    return (
        bleach.clean(html, tags=set(), strip=True)
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&#x27;", "'")
    )
