"""Importing articles: create one from an ArticleDraft, or make a draft its next revision.

A new article gets its blocks and revision 1. Importing onto an existing slug is a revision
(app.services.revisions): the current text becomes exactly the draft's, blocks that continue
keep their anchors, and every annotation follows its words or is orphaned, never lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path, PurePath
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.importing import (
    EXTENSIONS,
    ArticleDraft,
    DraftBlock,
    decode_source,
    format_for_path,
    parse_article,
    read_file_text,
)
from app.importing.anchors import anchor_base, unique_anchor
from app.importing.draft import HEADING, PARAGRAPH
from app.models import Article, Block, Group, User
from app.models.base import utcnow
from app.services.errors import Conflict, ValidationFailed
from app.services.groups import assign_reading
from app.services.revisions import (
    apply_draft,
    current_blocks,
    record_revision,
)

SLUG_RE = re.compile(r"[a-z0-9-]{1,120}")
RESERVED_SLUGS = frozenset({"new"})  # /articles/new is the page that adds one
DEMO_SLUG = "putin-nagorno-karabakh-calculus"
DEMO_RESOURCE = "data/demo/putin-nagorno-karabakh-calculus.md"
LIMITS = {"title": 300, "author": 200, "photo_credit": 300, "source_url": 2000}
MAX_SOURCE = 2 * 1024 * 1024  # bytes of UTF-8: a long reading, not a book


@dataclass(frozen=True)
class ImportSummary:
    """What an import did: counts for the person running it, and the revision's report."""

    article: Article
    created: bool
    blocks: int
    headings: int
    asides: int
    added: int = 0
    edited: int = 0
    removed: int = 0
    changed: bool = True
    revision: int = 0
    report: dict[str, Any] = field(default_factory=dict)


def import_article(draft: ArticleDraft, slug: str | None = None) -> Article:
    """Create the article `slug` (default: the draft's suggestion) or revise it."""
    return import_article_summary(draft, slug).article


def import_article_summary(
    draft: ArticleDraft,
    slug: str | None = None,
    *,
    actor: User | None = None,
    force: bool = False,
) -> ImportSummary:
    """import_article, reporting what was added, edited, removed, and where notes went."""
    slug = _validate(draft, slug)
    article = db.session.scalar(select(Article).where(Article.slug == slug))
    if article is None:
        return _create(draft, slug, actor)
    return _revise(article, draft, actor, force)


def add_article(actor: User, draft: ArticleDraft, slug: str | None = None) -> ImportSummary:
    """A new article owned by `actor`; a slug already in use is a conflict, never a revision."""
    slug = _validate(draft, slug)
    if db.session.scalar(select(Article.id).where(Article.slug == slug)) is not None:
        raise Conflict(
            f"The address {slug!r} is taken by another article.",
            {"slug": f"“{slug}” is taken by another article: choose another address."},
        )
    return _create(draft, slug, actor)


def publish_article(
    actor: User, draft: ArticleDraft, slug: str | None, groups: list[Group]
) -> ImportSummary:
    """Add the article and assign it to `groups` (the actor teaches them) in one go."""
    summary = add_article(actor, draft, slug)
    for group in groups:
        assign_reading(actor, group, summary.article)
    return summary


def revise_article(
    actor: User | None, article: Article, draft: ArticleDraft, force: bool = False
) -> ImportSummary:
    """Make `draft` the next revision of `article` (permission is the caller's question)."""
    _validate(draft, article.slug)
    return _revise(article, draft, actor, force)


def check_source(source: str) -> None:
    """Refuse what cannot be an article before parsing it: empty, binary or too large."""
    if len(source.encode("utf-8", "surrogatepass")) > MAX_SOURCE:
        raise ValidationFailed(
            "The file is too large.", {"source": "Import at most 2 MiB of text."}
        )
    if _looks_binary(source):
        raise ValidationFailed(
            "This is not a text file.", {"source": "Upload Markdown, plain text or HTML."}
        )
    if not source.strip():
        raise ValidationFailed("The text is empty.", {"source": "There is no text to import."})


def _looks_binary(source: str) -> bool:
    """NUL, or control characters text never has (a zip, an image, a .docx saved as .txt)."""
    sample = source[:8192]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\n\r\f") + sample.count(
        "\ufffd"
    )
    return "\x00" in source or controls > max(1, len(sample) // 100)


def decode_upload(filename: str, raw: bytes) -> tuple[str, str]:
    """An uploaded file's text and markup, from its extension; UTF-8, else Windows-1252 (what
    Word saves as "Web Page" on many machines): importing.decode_source, as the CLI reads."""
    markup = EXTENSIONS.get(PurePath(filename).suffix.lower())
    if markup is None:
        raise ValidationFailed(
            f"{PurePath(filename).name} is not a file Counterpoint reads.",
            {"upload": "Upload a .md, .txt or .html file."},
        )
    if len(raw) > MAX_SOURCE:
        raise ValidationFailed("The file is too large.", {"upload": "Import at most 2 MiB."})
    return decode_source(raw, "upload"), markup


def read_source(source: str, markup: str) -> ArticleDraft:
    """What a browser or API client sent, checked and parsed."""
    check_source(source)
    return parse_article(source, markup)


def read_file(path: Path, markup: str | None = None) -> ArticleDraft:
    """`flask articles import`: the file decoded as a browser upload is (UTF-8, else
    Windows-1252), then checked and parsed as read_source does; the format comes from the
    extension unless given."""
    markup = markup or format_for_path(path)
    return read_source(read_file_text(path), markup)


def _create(draft: ArticleDraft, slug: str, actor: User | None) -> ImportSummary:
    article = Article(slug=slug, asides=[], owner_id=actor.id if actor else None,
                      **_article_fields(draft))  # fmt: skip
    db.session.add(article)
    db.session.flush()  # the blocks need its id
    taken: set[str] = set()
    blocks = [_new_block(article, d, position, taken) for position, d in enumerate(draft.blocks)]
    article.asides = [_aside(a.text, a.html, blocks, a.after) for a in draft.asides]
    db.session.flush()
    report = {
        "blocks": {"kept": 0, "moved": 0, "edited": 0, "added": len(blocks), "removed": 0},
        "annotations": {"anchored": 0, "reanchored": 0, "orphaned": 0},
    }
    revision = record_revision(article, draft, actor, report)
    return _summary(article, draft, created=True, revision=revision.number, report=report)


def _revise(
    article: Article, draft: ArticleDraft, actor: User | None, force: bool
) -> ImportSummary:
    # Two revisions of one article at once would both claim the next number: the second
    # waits here for the first to commit (PostgreSQL; SQLite writes one at a time anyway).
    db.session.execute(select(Article.id).where(Article.id == article.id).with_for_update())
    db.session.refresh(article, ["revision"])
    old = current_blocks(article)
    if _unchanged(article, old, draft):
        return _summary(article, draft, created=False, changed=False, revision=article.revision)
    if article.revision == 0:
        _record_baseline(article, old)
    report = apply_draft(article, draft, actor, force)
    blocks = current_blocks(article)
    _assign(article, **_article_fields(draft))
    article.asides = [_aside(a.text, a.html, blocks, a.after) for a in draft.asides]
    article.updated_at = utcnow()
    revision = record_revision(article, draft, actor, report)
    return _summary(article, draft, created=False, revision=revision.number, report=report)


def _unchanged(article: Article, old: list[Block], draft: ArticleDraft) -> bool:
    fields = _article_fields(draft)
    if any(getattr(article, name) != value for name, value in fields.items()):
        return False
    if len(old) != len(draft.blocks) or any(
        (b.kind, b.level, b.text, b.html) != (d.kind, d.level, d.text, d.html)
        for b, d in zip(old, draft.blocks, strict=True)
    ):
        return False
    return [_aside(a.text, a.html, old, a.after) for a in draft.asides] == (article.asides or [])


def _record_baseline(article: Article, blocks: list[Block]) -> None:
    """Articles imported before revisions were kept: their text becomes revision 1."""
    source = "\n\n".join(
        f"{'#' * b.level} {b.text}" if b.kind == HEADING else b.text for b in blocks
    )
    draft = ArticleDraft(title=article.title, format="md", source=f"# {article.title}\n\n{source}")
    record_revision(article, draft, None, {})


def _summary(article: Article, draft: ArticleDraft, **kw: Any) -> ImportSummary:
    report = kw.get("report") or {}
    blocks = report.get("blocks", {})
    return ImportSummary(
        article=article,
        blocks=len(draft.blocks),
        headings=draft.heading_count,
        asides=len(draft.asides),
        added=blocks.get("added", 0),
        edited=blocks.get("edited", 0),
        removed=blocks.get("removed", 0),
        **kw,
    )


def demo_draft() -> ArticleDraft:
    """The bundled demo article, parsed."""
    source = files("app").joinpath(DEMO_RESOURCE).read_text(encoding="utf-8")
    return parse_article(source, "md")


def import_demo() -> ImportSummary:
    return import_article_summary(demo_draft(), DEMO_SLUG)


def load_demo() -> tuple[Article, bool]:
    """Import the demo article idempotently: (article, whether it was created now)."""
    summary = import_demo()
    return summary.article, summary.created


def _validate(draft: ArticleDraft, slug: str | None) -> str:
    if not draft.title and not draft.blocks:
        reason = "There is no text to import."
        if draft.format == "html":
            reason = "The page has no readable text (scripts, styles and frames are not imported)."
        raise ValidationFailed("The file is empty.", {"source": reason})
    slug = draft.slug if slug is None else slug
    errors: dict[str, str] = {}
    if not SLUG_RE.fullmatch(slug):
        errors["slug"] = "Use 1–120 characters: lowercase letters a–z, digits and dashes."
    elif slug in RESERVED_SLUGS:
        errors["slug"] = f"“{slug}” names a page of the site; choose another."
    if not draft.title:
        errors["title"] = "No title found: begin with a '# Title' line, a first line or an <h1>."
    if not any(block.kind == PARAGRAPH for block in draft.blocks):
        errors["blocks"] = "No paragraphs found: an article needs text to annotate."
    for name, limit in LIMITS.items():
        value = getattr(draft, name) or ""
        if len(value) > limit:
            errors[name] = f"Use at most {limit:,} characters (this has {len(value):,})."
    if draft.source_url and not draft.source_url.startswith(("http://", "https://")):
        errors["source_url"] = "Use an http:// or https:// address."
    if errors:
        raise ValidationFailed("The article cannot be imported.", errors)
    return slug


def _article_fields(draft: ArticleDraft) -> dict[str, Any]:
    return {
        "title": draft.title,
        "standfirst": draft.standfirst,
        "author": draft.author,
        "published": draft.published,
        "photo_credit": draft.photo_credit,
        "disclaimer": draft.disclaimer,
        "source_url": draft.source_url,
    }


def _assign(obj: Any, **values: Any) -> bool:
    """Set the attributes that differ; whether any did (an unchanged re-import writes nothing)."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _new_block(article: Article, draft: DraftBlock, position: int, taken: set[str]) -> Block:
    anchor = unique_anchor(anchor_base(draft.kind, draft.text), taken)
    taken.add(anchor)
    block = Block(
        article_id=article.id,
        anchor=anchor,
        position=position,
        kind=draft.kind,
        level=draft.level,
        text=draft.text,
        html=draft.html,
    )
    db.session.add(block)
    return block


def _aside(text: str, html: str, in_draft: list[Block], after: int | None) -> dict[str, Any]:
    return {"text": text, "html": html, "after": None if after is None else in_draft[after].anchor}
