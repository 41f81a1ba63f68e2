"""Importing articles: create or update one from an ArticleDraft, keeping anchors stable.

Re-importing a slug updates the article in place. A block whose text is unchanged keeps its
anchor (and so its annotations and links); an edited block keeps its anchor when it can be
paired with the old one (see app.importing.matching); only new blocks get new anchors. A block
that has vanished from the file is deleted, unless it has annotations: then it stays, at its
old place in the reading order, with its old text, so no discussion is ever lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.importing import ArticleDraft, DraftBlock, parse_article
from app.importing.anchors import anchor_base, unique_anchor
from app.importing.draft import HEADING, PARAGRAPH
from app.importing.matching import match_blocks
from app.models import Annotation, Article, Block
from app.models.base import utcnow
from app.services.errors import ValidationFailed

SLUG_RE = re.compile(r"[a-z0-9-]{1,120}")
DEMO_SLUG = "putin-nagorno-karabakh-calculus"
DEMO_RESOURCE = "data/demo/putin-nagorno-karabakh-calculus.md"
LIMITS = {"title": 300, "author": 200, "photo_credit": 300, "source_url": 2000}


@dataclass(frozen=True)
class ImportSummary:
    """What an import did: counts for the person running it."""

    article: Article
    created: bool
    blocks: int
    headings: int
    asides: int
    added: int = 0
    edited: int = 0
    removed: int = 0
    kept: int = 0  # vanished from the file but kept for their annotations
    changed: bool = True


def import_article(draft: ArticleDraft, slug: str | None = None) -> Article:
    """Create the article `slug` (default: the draft's suggestion) or bring it up to date."""
    return import_article_summary(draft, slug).article


def import_article_summary(draft: ArticleDraft, slug: str | None = None) -> ImportSummary:
    """import_article, reporting what was added, edited, removed and kept."""
    slug = _validate(draft, slug)
    article = db.session.scalar(select(Article).where(Article.slug == slug))
    created = article is None
    if article is None:
        article = Article(slug=slug, asides=[], **_article_fields(draft))
        db.session.add(article)
        db.session.flush()  # the blocks need its id
    fields_changed = _assign(article, **_article_fields(draft))
    counts, in_draft, blocks = _sync_blocks(article, draft.blocks)
    asides = [_aside(a.text, a.html, in_draft, a.after) for a in draft.asides]
    fields_changed |= _assign(article, asides=asides)
    changed = created or fields_changed or any(counts.values())
    if changed and not created:
        article.updated_at = utcnow()
    db.session.flush()
    return ImportSummary(
        article=article,
        created=created,
        blocks=len(blocks),
        headings=sum(b.kind == HEADING for b in blocks),
        asides=len(asides),
        changed=changed,
        **{k: v for k, v in counts.items() if k != "moved"},
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
        raise ValidationFailed("The file is empty.", {"source": "There is no text to import."})
    slug = draft.slug if slug is None else slug
    errors: dict[str, str] = {}
    if not SLUG_RE.fullmatch(slug):
        errors["slug"] = "Use 1–120 characters: lowercase letters a–z, digits and dashes."
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


def _sync_blocks(
    article: Article, drafts: tuple[DraftBlock, ...]
) -> tuple[dict[str, int], list[Block], list[Block]]:
    """Make the stored blocks follow the draft.

    Returns the counts, the blocks standing for the draft's (in its order), and every block of
    the article in its new reading order.
    """
    old = list(
        db.session.scalars(
            select(Block).where(Block.article_id == article.id).order_by(Block.position, Block.id)
        )
    )
    matches = match_blocks([(b.kind, b.text) for b in old], [(d.kind, d.text) for d in drafts])
    counts = {"added": 0, "edited": 0, "removed": 0, "kept": 0, "moved": 0}
    # Anchors of deleted blocks are not handed out again in this import: old links must not
    # land on different words.
    taken = {b.anchor for b in old}
    ordered: list[tuple[tuple[int, int, int], Block]] = []
    for j, draft in enumerate(drafts):
        if j in matches:
            block = old[matches[j]]
            counts["edited"] += _assign(
                block, kind=draft.kind, level=draft.level, text=draft.text, html=draft.html
            )
        else:
            block = _new_block(article, draft, taken)
            counts["added"] += 1
        ordered.append(((j, 0, 0), block))
    ordered += _vanished(old, matches, counts)
    blocks = [block for _key, block in sorted(ordered, key=lambda item: item[0])]
    for position, block in enumerate(blocks):
        counts["moved"] += _assign(block, position=position)
    return counts, [block for _key, block in ordered[: len(drafts)]], blocks


def _new_block(article: Article, draft: DraftBlock, taken: set[str]) -> Block:
    anchor = unique_anchor(anchor_base(draft.kind, draft.text), taken)
    taken.add(anchor)
    block = Block(
        article_id=article.id,
        anchor=anchor,
        position=0,
        kind=draft.kind,
        level=draft.level,
        text=draft.text,
        html=draft.html,
    )
    db.session.add(block)
    return block


def _vanished(
    old: list[Block], matches: dict[int, int], counts: dict[str, int]
) -> list[tuple[tuple[int, int, int], Block]]:
    """Delete the old blocks no longer in the file; keep those with annotations in place.

    A kept block sorts right after the new place of the nearest old block before it that
    survived, so it stays beside the text it was part of.
    """
    new_place = {i: j for j, i in matches.items()}
    gone = [i for i in range(len(old)) if i not in new_place]
    annotated = _annotated({old[i].id for i in gone})
    kept: list[tuple[tuple[int, int, int], Block]] = []
    after = -1
    for i, block in enumerate(old):
        if i in new_place:
            after = new_place[i]
        elif block.id in annotated:
            kept.append(((after, 1, i), block))
            counts["kept"] += 1
        else:
            db.session.delete(block)
            counts["removed"] += 1
    return kept


def _annotated(block_ids: set[int]) -> set[int]:
    if not block_ids:
        return set()
    rows = db.session.scalars(
        select(Annotation.block_id).where(Annotation.block_id.in_(block_ids)).distinct()
    )
    return set(rows)


def _aside(text: str, html: str, in_draft: list[Block], after: int | None) -> dict[str, Any]:
    return {"text": text, "html": html, "after": None if after is None else in_draft[after].anchor}
