"""Turns a reader's chunks into an ArticleDraft: front matter, asides, trailer, page breaks."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from app.importing.anchors import suggest_slug
from app.importing.draft import HEADING, PARAGRAPH, ArticleDraft, Chunk, DraftAside, DraftBlock

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")  # fmt: skip
_DATE_PATTERNS = (
    re.compile(
        r"^(?:[a-z]+,\s*)?(?P<month>[a-z]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})$", re.I
    ),
    re.compile(
        r"^(?:[a-z]+,\s*)?(?P<day>\d{1,2})\s+(?P<month>[a-z]+)\.?,?\s+(?P<year>\d{4})$", re.I
    ),
    re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})$"),
)
_BYLINE = re.compile(r"^by\s+(?P<name>\S.*?)[.,;]?$", re.I)
MAX_BYLINE_WORDS = 10
MAX_CREDIT_WORDS = 12
# "Related article: ...", "Read more: ...": boxes set into the text, not part of the argument.
_ASIDE = re.compile(
    r"^(related( articles?| stories| story| reading)?|read (more|also)|see also|more on this)\s*:",
    re.I,
)
_SOURCE_LABEL = re.compile(
    r"^(original (url|article|link)|source( url)?|originally published (at|in|on|by))\s*:?", re.I
)
_URL = re.compile(r"^<?(?P<url>https?://\S+?)>?$")
_ITALIC = re.compile(r"^<(em|i)>(?P<inner>.*)</\1>$", re.DOTALL)
TERMINAL = frozenset(".?!:;…\"”’')]»")
OPENING_QUOTES = frozenset("“\"‘'«„")


@dataclass
class _FrontMatter:
    standfirst: str | None = None
    author: str | None = None
    published: date | None = None
    photo_credit: str | None = None


def parse_date(text: str) -> date | None:
    """A publication date written "November 19, 2020", "19 Nov 2020" or "2020-11-19"."""
    for pattern in _DATE_PATTERNS:
        if match := pattern.match(text.strip()):
            return _make_date(match["year"], match["month"], match["day"])
    return None


def _make_date(year: str, month: str, day: str) -> date | None:
    if month.isdigit():
        number = int(month)
    else:
        names = [m for m in MONTHS if len(month) >= 3 and m.startswith(month.lower())]
        if len(names) != 1:
            return None
        number = MONTHS.index(names[0]) + 1
    try:
        return date(int(year), number, int(day))
    except ValueError:  # "February 30": not a date, so not a date line
        return None


_POSTED_BY = re.compile(
    r"^(?:posted|published|written)\b.{0,60}?\bby\s+(?P<name>[^,.;]+?)[.,;]?$", re.I
)


def byline_name(text: str) -> str | None:
    """The name in "By Ann Author", or in a blog's "Posted on 2 May 2023 by Ann Author"."""
    match = _BYLINE.match(text) or _POSTED_BY.match(text)
    if match and len(match["name"].split()) <= MAX_BYLINE_WORDS:
        return match["name"]
    return None


def _is_meta(chunk: Chunk) -> bool:
    return byline_name(chunk.text) is not None or parse_date(chunk.text) is not None


# A footnote marker after the full stop ("...as fast as possible.1", "...possible.[2]").
_NOTE_MARK = re.compile(r"(?<=[.?!…\"”’')\]])\[?\d{1,3}\]?\Z|[*†‡]\Z")


def _ends_sentence(text: str) -> bool:
    return text[-1] in TERMINAL or _NOTE_MARK.search(text) is not None


def _take_title(chunks: list[Chunk], fallback: str) -> tuple[str, list[Chunk]]:
    """The first chunk if it is a heading, else the first h1 anywhere, else the fallback."""
    if chunks and chunks[0].kind == HEADING:
        return chunks[0].text, chunks[1:]
    for index, chunk in enumerate(chunks):
        if chunk.kind == HEADING and chunk.level == 1:
            return chunk.text, chunks[:index] + chunks[index + 1 :]
    return fallback, chunks


def _take_front_matter(chunks: list[Chunk]) -> tuple[_FrontMatter, list[Chunk]]:
    """Standfirst, byline, date and photo credit, in that order, right under the title.

    A standfirst is recognised only when a byline or date follows it; a photo credit is the
    short unpunctuated line straight after the date.
    """
    front, i = _FrontMatter(), 0
    if len(chunks) > 1 and _is_standfirst(chunks[0], chunks[1]):
        front.standfirst, i = chunks[0].text, 1
    while i < len(chunks) and chunks[i].kind == PARAGRAPH:
        text = chunks[i].text
        if front.author is None and (name := byline_name(text)):
            front.author = name
        elif front.published is None and (day := parse_date(text)):
            front.published = day
        else:
            break
        i += 1
    if front.published and i + 1 < len(chunks) and _is_credit(chunks[i]):
        front.photo_credit, i = chunks[i].text, i + 1
    return front, chunks[i:]


def _is_standfirst(chunk: Chunk, following: Chunk) -> bool:
    return chunk.kind == PARAGRAPH and not _is_meta(chunk) and _is_meta(following)


def _is_credit(chunk: Chunk) -> bool:
    text = chunk.text
    return (
        chunk.kind == PARAGRAPH
        and len(text.split()) <= MAX_CREDIT_WORDS
        and not _ends_sentence(text)
    )


def _take_source_url(chunks: list[Chunk]) -> tuple[str | None, list[Chunk]]:
    """A trailing "Original url:" label with its URL, in one paragraph or two."""
    if not chunks:
        return None, chunks
    last = chunks[-1].text
    label = _SOURCE_LABEL.match(last)
    if label and (url := _URL.match(last[label.end() :].strip())):
        return url["url"], chunks[:-1]
    url = _URL.match(last)
    if url and len(chunks) > 1 and _SOURCE_LABEL.fullmatch(chunks[-2].text):
        return url["url"], chunks[:-2]
    return None, chunks


def _take_disclaimer(chunks: list[Chunk]) -> tuple[str | None, list[Chunk]]:
    """A closing paragraph set wholly in italics ("*The views expressed ...*")."""
    if chunks and chunks[-1].kind == PARAGRAPH:
        match = _ITALIC.match(chunks[-1].html)
        if match and not re.search(rf"</?{match[1]}>", match["inner"]):
            return chunks[-1].text, chunks[:-1]
    return None, chunks


def continues(before: Chunk, after: Chunk) -> bool:
    """Whether `after` is the rest of a sentence a page break cut off at the end of `before`.

    `before` must stop without terminal punctuation, and `after` must start in lowercase or
    with an opening quote ("...vis-à-vis alternative" / "“guarantors of security” ..."), or
    `before` must stop on a lowercase word ("...Turkey and" / "Azerbaijan would not ...").
    """
    if before.kind != PARAGRAPH or after.kind != PARAGRAPH or before.markup != after.markup:
        return False
    if before.nested or after.nested or _ends_sentence(before.text):
        return False
    first = after.text[0]
    if first.islower() or first in OPENING_QUOTES:
        return True
    return before.text.split()[-1][0].islower() and first.isalpha()


def _assemble(
    chunks: list[Chunk], repairs: list[str] | None = None
) -> tuple[list[Chunk], list[tuple[Chunk, int | None]]]:
    """Blocks with page breaks mended, and asides with the index of the block before them.

    Each mended break is told in `repairs`, with the words either side of it.
    """
    blocks: list[Chunk] = []
    asides: list[tuple[Chunk, int | None]] = []
    for chunk in chunks:
        if chunk.aside or (chunk.kind == PARAGRAPH and _ASIDE.match(chunk.text)):
            asides.append((chunk, len(blocks) - 1 if blocks else None))
        elif blocks and continues(blocks[-1], chunk):
            if repairs is not None:
                repairs.append(
                    f"Joined a paragraph split by a page break: “…{blocks[-1].text[-30:]}” "
                    f"+ “{chunk.text[:30]}…”"
                )
            joined = f"{blocks[-1].source} {chunk.source}"
            blocks[-1] = Chunk(PARAGRAPH, 0, joined, chunk.markup)
        else:
            blocks.append(chunk)
    return blocks, asides


def _relevel(blocks: list[Chunk]) -> list[Chunk]:
    """Shift heading levels so the top section level is 2: the title is the page's h1."""
    levels = [b.level for b in blocks if b.kind == HEADING]
    if not levels:
        return blocks
    shift = min(levels) - 2
    return [
        replace(b, level=min(6, max(2, b.level - shift))) if b.kind == HEADING else b
        for b in blocks
    ]


def build_draft(chunks: list[Chunk], fmt: str, fallback_title: str = "") -> ArticleDraft:
    """The draft an importer stores, from a reader's chunks in document order."""
    kept = [chunk for chunk in chunks if chunk.text.strip()]  # &nbsp; alone is empty too
    dropped = []
    if len(kept) < len(chunks):
        dropped.append(f"{len(chunks) - len(kept)} empty paragraph(s): no text to annotate")
    title, chunks = _take_title(kept, fallback_title)
    front, chunks = _take_front_matter(chunks)
    source_url, chunks = _take_source_url(chunks)
    disclaimer, chunks = _take_disclaimer(chunks)
    repairs: list[str] = []
    blocks, asides = _assemble(chunks, repairs)
    blocks = _notes_section(blocks, repairs)
    if front.photo_credit is None:
        front.photo_credit = _caption_credit(blocks)
    repairs = _told(title, fallback_title, front, source_url, disclaimer, blocks, asides) + repairs
    return ArticleDraft(
        title=title,
        slug=suggest_slug(title),
        standfirst=front.standfirst,
        author=front.author,
        published=front.published,
        photo_credit=front.photo_credit,
        disclaimer=disclaimer,
        source_url=source_url,
        blocks=tuple(
            DraftBlock(b.kind, b.level if b.kind == HEADING else 0, b.source, b.html, b.text)
            for b in _relevel(blocks)
        ),
        asides=tuple(DraftAside(a.text, a.html, after) for a, after in asides),
        format=fmt,
        repairs=tuple(repairs),
        dropped=tuple(dropped),
    )


def _notes_section(blocks: list[Chunk], repairs: list[str]) -> list[Chunk]:
    """Footnotes read as a section of their own: a "Notes" heading before the first, if the
    page gave them none."""
    first = next((i for i, b in enumerate(blocks) if b.kind == "note"), None)
    if first is None or (first > 0 and blocks[first - 1].kind == HEADING):
        return blocks
    count = sum(b.kind == "note" for b in blocks)
    repairs.append(f"{count} footnote(s) kept as a notes section")
    heading = Chunk(HEADING, 2, "Notes", "txt")
    return [*blocks[:first], heading, *blocks[first:]]


_CREDIT = re.compile(
    r"\b(?:photo(?:graph)?|image|picture|credit)s?\s*:\s*(?P<who>[^.;]{2,120})", re.I
)


def _caption_credit(blocks: list[Chunk]) -> str | None:
    """The photo credit a figure caption gives ("... Photo: Tomasz Lind for the Ledger")."""
    for block in blocks:
        if block.kind == "caption" and (match := _CREDIT.search(block.text)):
            return match["who"].strip()
    return None


def _told(
    title: str,
    fallback_title: str,
    front: _FrontMatter,
    source_url: str | None,
    disclaimer: str | None,
    blocks: list[Chunk],
    asides: list[tuple[Chunk, int | None]],
) -> list[str]:
    """The importer's findings, in words, for the preview."""
    said = []
    if title and title == fallback_title:
        said.append(f"Title read from the document's metadata (<title> or front matter): “{title}”")
    for label, value in (
        ("Standfirst set apart", front.standfirst),
        ("Byline read", front.author),
        ("Date read", front.published.isoformat() if front.published else None),
        ("Photo credit read", front.photo_credit),
        ("Source address read", source_url),
        ("Closing note kept as a disclaimer", disclaimer),
    ):
        if value:
            said.append(f"{label}: “{value[:80]}”")
    headings = sum(b.kind == HEADING for b in blocks)
    if headings:
        said.append(f"{headings} heading{'s' if headings > 1 else ''} found")
    for aside, _after in asides:
        said.append(f"Set apart as an aside: “{aside.text[:60]}”")
    return said


def adjust_draft(
    draft: ArticleDraft,
    *,
    title: str | None = None,
    author: str | None = None,
    published: date | None = None,
    asides: frozenset[int] = frozenset(),
) -> ArticleDraft:
    """The draft with the importing person's corrections: fields, and blocks set as asides.

    `asides` are indices into draft.blocks. Every aside keeps its place: it follows the
    block before it, counted among the blocks that remain.
    """
    kept: list[DraftBlock] = []
    moved: list[DraftAside] = []
    renumber: dict[int, int | None] = {}  # old block index -> index among those kept
    for index, block in enumerate(draft.blocks):
        if index in asides and block.kind == PARAGRAPH:
            moved.append(DraftAside(block.text, block.html, len(kept) - 1 if kept else None))
        else:
            renumber[index] = len(kept)
            kept.append(block)
    old_asides = [DraftAside(a.text, a.html, _after(a.after, renumber)) for a in draft.asides]
    return replace(
        draft,
        title=title if title is not None else draft.title,
        author=author if author is not None else draft.author,
        published=published if published is not None else draft.published,
        blocks=tuple(kept),
        asides=tuple(
            sorted([*old_asides, *moved], key=lambda a: -1 if a.after is None else a.after)
        ),
    )


def _after(index: int | None, renumber: dict[int, int | None]) -> int | None:
    """Where an aside that followed block `index` goes once some blocks became asides."""
    while index is not None and index >= 0:
        if index in renumber:
            return renumber[index]
        index -= 1
    return None
