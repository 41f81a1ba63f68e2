"""Article import: parse a Markdown, plain-text or HTML file into an ArticleDraft (no database)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from app.importing.draft import ArticleDraft, DraftAside, DraftBlock
from app.importing.extract import Extracted, extract, parse_iso_date
from app.importing.readers import READERS, main_content, read_html_report, split_front_matter
from app.importing.structure import build_draft
from app.services.errors import ValidationFailed

FORMATS = tuple(READERS)
EXTENSIONS = {".md": "md", ".markdown": "md", ".txt": "txt", ".text": "txt",
              ".html": "html", ".htm": "html"}  # fmt: skip

__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "ArticleDraft",
    "DraftAside",
    "DraftBlock",
    "decode_source",
    "format_for_path",
    "parse_article",
    "parse_file",
    "read_file_text",
]


def format_for_path(path: Path) -> str:
    """The format a file's extension names, or ValidationFailed."""
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise ValidationFailed(
            f"Cannot tell the format of {path.name}.",
            {"format": f"Name the format: one of {', '.join(FORMATS)}."},
        )
    return fmt


def parse_article(source: str, fmt: str) -> ArticleDraft:
    """Parse a whole document written in `fmt` ("md", "txt" or "html")."""
    if fmt not in READERS:
        raise ValidationFailed(
            f"Unknown format {fmt!r}.", {"format": f"Use one of {', '.join(FORMATS)}."}
        )
    text = source.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if fmt == "md":
        return _markdown_draft(text)
    if fmt != "html":
        chunks, fallback_title = READERS[fmt](text)
        return replace(build_draft(chunks, fmt, fallback_title), source=text)
    chunks, fallback_title, dropped = read_html_report(text)
    found = extract(text)
    chunks, left_out = main_content(chunks, found)
    draft = build_draft(chunks, fmt, fallback_title or (found.title if found else "") or "")
    draft = _with_metadata(draft, found)
    return replace(draft, source=text, dropped=(*dropped, *left_out, *draft.dropped))


def _markdown_draft(text: str) -> ArticleDraft:
    """Markdown, with what its front matter says where the text itself says nothing."""
    fields, body = split_front_matter(text)
    chunks, fallback_title = READERS["md"](body)
    draft = build_draft(chunks, "md", fields.get("title") or fallback_title)
    if fields:
        told = Extracted(
            text="",
            title=fields.get("title"),
            author=fields.get("author") or fields.get("byline"),
            published=parse_iso_date(fields.get("date") or fields.get("published")),
            url=fields.get("source") or fields.get("url") or fields.get("canonical"),
        )
        draft = _with_metadata(draft, told, "front matter")
    return replace(draft, source=text)


def _fits(name: str, value: object) -> bool:
    """Metadata worth taking: present, short enough, and a web address where one is meant."""
    if value is None:
        return False
    if name == "source_url":
        return str(value).startswith(("http://", "https://")) and len(str(value)) <= 2000
    return name != "author" or len(str(value)) <= 200


def _with_metadata(
    draft: ArticleDraft, found: Extracted | None, where: str = "page's metadata"
) -> ArticleDraft:
    """What the page's <meta>, JSON-LD and <time> say, where the text itself said nothing."""
    if found is None:
        return draft
    told: list[str] = []
    fields: dict[str, object] = {}
    for name, value, label in (
        ("author", found.author, "Byline"),
        ("published", found.published, "Date"),
        ("source_url", found.url, "Canonical address"),
    ):
        if getattr(draft, name) is None and _fits(name, value):
            fields[name] = value
            told.append(f"{label} read from the {where}: “{value}”")
    if not fields:
        return draft
    return replace(draft, **fields, repairs=(*told, *draft.repairs))


def decode_source(raw: bytes, field: str = "source") -> str:
    """A file's text: UTF-8 (a byte-order mark dropped), else Windows-1252, what Word saves as
    "Web Page" or "Plain Text" on many machines. The browser upload and `flask articles import`
    both read files this way."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        raise ValidationFailed(
            "This is not a text file.",
            {field: "Use Markdown, plain text or HTML, saved as UTF-8 or Windows-1252."},
        ) from None


def read_file_text(path: Path) -> str:
    """The text of the file at `path`, decoded as decode_source does."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValidationFailed(
            f"Cannot read {path.name}.", {"source": exc.strerror or str(exc)}
        ) from None
    return decode_source(raw)


def parse_file(path: Path, fmt: str | None = None) -> ArticleDraft:
    """Read (decode_source) and parse a file; the format comes from its extension unless given."""
    return parse_article(read_file_text(path), fmt or format_for_path(path))
