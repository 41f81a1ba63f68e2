"""The shapes an import passes around: raw chunks from a reader, and the finished draft."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property

from app.text import render_article_block

HEADING = "heading"
PARAGRAPH = "paragraph"
# Blocks of their own kind, from HTML: annotatable like paragraphs, never joined to one.
ITEM = "item"  # a list item
QUOTE = "quote"  # a block quotation
CODE = "code"  # preformatted text
ROW = "row"  # a table row, its cells separated by " | "
CAPTION = "caption"  # a figure's caption (with its credit)
NOTE = "note"  # a footnote or endnote


@dataclass(frozen=True)
class Chunk:
    """One block as a reader found it, before the front matter and page breaks are sorted out.

    `markup` is what `source` is written in ("md", "html" or "txt"); `nested` marks text inside
    a list or quote (or verbatim code), which is never joined to a neighbour.
    """

    kind: str
    level: int
    source: str
    markup: str
    nested: bool = False
    aside: bool = False  # inside a pull quote, "related" box or sidebar: set apart
    parent: int = 0  # which container element (div, section, td...) it sits in, for HTML

    @cached_property
    def rendered(self) -> tuple[str, str]:
        return render_article_block(self.source, self.markup)

    @property
    def html(self) -> str:
        return self.rendered[0]

    @property
    def text(self) -> str:
        return self.rendered[1]


@dataclass(frozen=True)
class DraftBlock:
    """An annotatable block: `html` is sanitised inline HTML, `text` exactly its visible text."""

    kind: str  # "heading" | "paragraph" | (from HTML) "item", "quote", "code", "row", ...
    level: int  # 2–6 for headings (the article title is the page's h1), 0 for paragraphs
    source: str
    html: str
    text: str


@dataclass(frozen=True)
class DraftAside:
    """A box beside the text ("Related article: ..."), not annotatable.

    `after` is the index in ArticleDraft.blocks of the block it follows (None: before them all).
    """

    text: str
    html: str
    after: int | None


@dataclass(frozen=True)
class ArticleDraft:
    """An article parsed from a file, ready for app.services.articles.import_article."""

    title: str
    slug: str = ""  # a suggestion made from the title; the importer may be given another
    standfirst: str | None = None
    author: str | None = None
    published: date | None = None
    photo_credit: str | None = None
    disclaimer: str | None = None
    source_url: str | None = None
    blocks: tuple[DraftBlock, ...] = ()
    asides: tuple[DraftAside, ...] = ()
    format: str = "md"
    source: str = ""  # the document it was parsed from, kept as the revision's source
    # What the importer did that a reader of the file would not see (shown in the preview):
    repairs: tuple[str, ...] = ()  # joined page breaks, metadata read, asides set apart, ...
    dropped: tuple[str, ...] = ()  # what is not imported, and why

    @property
    def heading_count(self) -> int:
        return sum(block.kind == HEADING for block in self.blocks)
