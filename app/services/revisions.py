"""Revisions: a new text replaces an article's blocks, and every annotation follows its words.

The current revision is exactly the text imported last. Blocks that continue (unchanged,
moved, lightly edited, a split's first part) keep their anchors; new blocks get new ones;
blocks that are gone are retired, never deleted, so their anchors are never handed out again.
Each thread's quote is found again (app.importing.reanchor); replies follow their thread;
what cannot be found is orphaned — never deleted, never pinned to other text — and its author
is told. All of it is planned before anything is written, and written in the caller's one
transaction, so a refused revision leaves nothing behind.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from app import permissions
from app.extensions import db
from app.importing import ArticleDraft
from app.importing.anchors import anchor_base, unique_anchor
from app.importing.reanchor import (
    CONTEXT_CHARS,
    BlockPlan,
    Found,
    find_quote,
    locate,
    plan_blocks,
)
from app.models import Annotation, Article, ArticleRevision, Block, NotificationKind, User
from app.services.errors import ConfirmationNeeded, NotFound, ValidationFailed
from app.services.notifications import notify
from app.services.versions import bump_discussion

_annotations = Annotation.__table__


@dataclass
class Placement:
    """Where one annotation goes: block index in the new text (None: orphaned) and its range."""

    block: int | None
    start: int | None = None
    end: int | None = None
    moved: bool = False  # another block, or its quote's words or offsets changed


@dataclass
class Plan:
    blocks: BlockPlan
    placements: dict[int, Placement] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Note:
    """The columns of an annotation re-anchoring reads (plain rows: 5,000 of them stay cheap)."""

    id: int
    block_id: int
    root_id: int | None
    author_id: int
    quote_exact: str | None
    quote_prefix: str | None
    quote_suffix: str | None
    quote_start: int | None
    quote_end: int | None


def current_blocks(article: Article) -> list[Block]:
    return list(
        db.session.scalars(
            select(Block)
            .where(Block.article_id == article.id, Block.retired.is_(False))
            .order_by(Block.position, Block.id)
        )
    )


def _live_notes(article: Article) -> list[_Note]:
    rows = db.session.execute(
        select(
            Annotation.id,
            Annotation.block_id,
            Annotation.root_id,
            Annotation.author_id,
            Annotation.quote_exact,
            Annotation.quote_prefix,
            Annotation.quote_suffix,
            Annotation.quote_start,
            Annotation.quote_end,
        ).where(Annotation.article_id == article.id, Annotation.orphaned.is_(False))
    )
    return [_Note(*row) for row in rows]


def plan_revision(old: list[Block], draft: ArticleDraft, notes: list[_Note]) -> Plan:
    """Pair the blocks and place every annotation, writing nothing."""
    blocks = plan_blocks([(b.kind, b.text) for b in old], [(d.kind, d.text) for d in draft.blocks])
    plan = Plan(blocks)
    index = {b.id: i for i, b in enumerate(old)}
    texts = [d.text for d in draft.blocks]
    roots = [n for n in notes if n.root_id in (None, n.id)]
    for note in roots:
        i = index.get(note.block_id)
        plan.placements[note.id] = _place(
            note, old[i].text if i is not None else None, i, blocks, texts
        )
    for note in notes:
        if note.id not in plan.placements:
            root = plan.placements.get(note.root_id or note.id)
            home = root.block if root else None
            plan.placements[note.id] = Placement(home, moved=bool(root and root.moved))
    plan.report = _report(old, draft, blocks, plan.placements)
    return plan


def _place(
    note: _Note, old_text: str | None, i: int | None, blocks: BlockPlan, texts: list[str]
) -> Placement:
    if i is None or old_text is None:
        return Placement(None)
    home = blocks.follows.get(i)
    if note.quote_exact is None:
        return Placement(home, moved=home is not None and blocks.same.get(home) != i)
    found = _refind(note, old_text, home, texts)
    if found is None:
        return Placement(None)
    moved = (
        found.block != home
        or blocks.same.get(found.block) != i
        or (found.start, found.end) != (note.quote_start, note.quote_end)
    )
    return Placement(found.block, found.start, found.end, moved)


def _refind(note: _Note, old_text: str, home: int | None, texts: list[str]) -> Found | None:
    """Search for the quote's current words with their current context, then the original."""
    exact = note.quote_exact or ""
    tries: list[tuple[str, str, str, int | None]] = []
    s, e = note.quote_start, note.quote_end
    if s is not None and e is not None and 0 <= s < e <= len(old_text):
        before, now, after = (
            old_text[max(0, s - CONTEXT_CHARS) : s],
            old_text[s:e],
            old_text[e : e + CONTEXT_CHARS],
        )
        tries.append((now, before, after, s))
    tries.append((exact, note.quote_prefix or "", note.quote_suffix or "", s))
    for words, prefix, suffix, hint in tries:
        if found := find_quote(words, prefix, suffix, texts, home, hint):
            return found
    return None


def _report(
    old: list[Block], draft: ArticleDraft, blocks: BlockPlan, placements: dict[int, Placement]
) -> dict[str, Any]:
    counts = Counter({"kept": 0, "moved": 0, "edited": 0, "added": 0, "removed": 0})
    last = -1
    for j, d in enumerate(draft.blocks):
        i = blocks.same.get(j)
        if i is None:
            counts["added"] += 1
        elif old[i].text != d.text or old[i].kind != d.kind:
            counts["edited"] += 1
        elif i < last:
            counts["moved"] += 1
        else:
            counts["kept"] += 1
        if i is not None:
            last = max(last, i)
    counts["removed"] = len(old) - len(blocks.same)
    notes = Counter({"anchored": 0, "reanchored": 0, "orphaned": 0})
    for placement in placements.values():
        if placement.block is None:
            notes["orphaned"] += 1
        elif placement.moved:
            notes["reanchored"] += 1
        else:
            notes["anchored"] += 1
    return {"blocks": dict(counts), "annotations": dict(notes)}


def apply_draft(
    article: Article, draft: ArticleDraft, actor: User | None, force: bool = False
) -> dict[str, Any]:
    """Make `draft` the article's text and move every annotation with it; the report."""
    old = current_blocks(article)
    notes = _live_notes(article)
    plan = plan_revision(old, draft, notes)
    orphaned = plan.report["annotations"]["orphaned"]
    if not force and orphaned * 2 > len(notes):
        raise ConfirmationNeeded(
            f"This revision would orphan {orphaned} of {len(notes)} annotations. "
            "Check the text, or confirm to apply it anyway.",
            {"force": "Confirm (force) to orphan them; they stay readable at the article's end."},
        )
    new_blocks = _write_blocks(article, old, draft, plan.blocks)
    _write_placements(notes, plan.placements, new_blocks)
    _notify_orphaned(article, notes, plan.placements, actor)
    bump_discussion(db.session, [article.id])
    return plan.report


def _write_blocks(
    article: Article, old: list[Block], draft: ArticleDraft, blocks: BlockPlan
) -> list[Block]:
    taken = set(db.session.scalars(select(Block.anchor).where(Block.article_id == article.id)))
    kept = set(blocks.same.values())
    for i, block in enumerate(old):
        if i not in kept:
            block.retired = True
            block.position = -1 - i  # out of the reading order; the index stays small
    result: list[Block] = []
    for j, d in enumerate(draft.blocks):
        values = {"kind": d.kind, "level": d.level, "text": d.text, "html": d.html, "position": j}
        if (i := blocks.same.get(j)) is not None:
            block = old[i]
            for name, value in values.items():
                if getattr(block, name) != value:
                    setattr(block, name, value)
        else:
            anchor = unique_anchor(anchor_base(d.kind, d.text), taken)
            taken.add(anchor)
            block = Block(article_id=article.id, anchor=anchor, **values)
            db.session.add(block)
        result.append(block)
    db.session.flush()  # new blocks need their ids before annotations point at them
    return result


def _write_placements(
    notes: list[_Note], placements: dict[int, Placement], blocks: list[Block]
) -> None:
    rows = []
    for note in notes:
        place = placements[note.id]
        if place.block is None:
            rows.append(_placed(note.id, note.block_id, None, None, orphaned=True))
            continue
        block = blocks[place.block]
        if (block.id, place.start, place.end) != (note.block_id, note.quote_start, note.quote_end):
            words = block.text[place.start : place.end] if place.start is not None else None
            row = _placed(note.id, block.id, place.start, place.end, orphaned=False)
            row["quote_current"] = words if words != note.quote_exact else None
            rows.append(row)
    if rows:
        # ORM bulk UPDATE by primary key: one executemany for thousands of notes.
        db.session.execute(update(Annotation), rows)


def _placed(
    note_id: int, block_id: int, start: int | None, end: int | None, orphaned: bool
) -> dict[str, Any]:
    """One row of the bulk UPDATE that moves an annotation."""
    return {"id": note_id, "block_id": block_id, "orphaned": orphaned,
            "quote_start": start, "quote_end": end, "quote_current": None}  # fmt: skip


def _notify_orphaned(
    article: Article, notes: list[_Note], placements: dict[int, Placement], actor: User | None
) -> None:
    first_by_author: dict[int, int] = {}
    counts: Counter[int] = Counter()
    for note in notes:
        if placements[note.id].block is None:
            first_by_author.setdefault(note.author_id, note.id)
            counts[note.author_id] += 1
    for author_id, note_id in first_by_author.items():
        n = counts[author_id]
        what = "an annotation" if n == 1 else f"{n} annotations"
        notify(
            author_id,
            NotificationKind.ORPHANED,
            f"A revision of “{article.title}” removed the text of {what} of yours; "
            "it is kept at the article's end until it is re-attached.",
            db.session.get(Annotation, note_id),
            actor,
        )


def snapshot(blocks: list[Block]) -> list[dict[str, Any]]:
    return [
        {"anchor": b.anchor, "kind": b.kind, "level": b.level, "text": b.text, "html": b.html}
        for b in blocks
    ]


def record_revision(
    article: Article, draft: ArticleDraft, actor: User | None, report: dict[str, Any]
) -> ArticleRevision:
    """Store the text just applied as the article's next revision."""
    article.revision += 1
    revision = ArticleRevision(
        article_id=article.id,
        number=article.revision,
        author_id=actor.id if actor else None,
        markup=draft.format,
        source=draft.source,
        title=draft.title,
        blocks=snapshot(current_blocks(article)),
        report=report,
    )
    db.session.add(revision)
    db.session.flush()
    return revision


def list_revisions(
    article: Article, before: int | None = None, limit: int | None = None
) -> list[ArticleRevision]:
    """The article's revisions, newest first, with their authors; `before` pages on."""
    stmt = (
        select(ArticleRevision)
        .options(joinedload(ArticleRevision.author))
        .where(ArticleRevision.article_id == article.id)
        .order_by(ArticleRevision.number.desc())
        .limit(limit)
    )
    if before is not None:
        stmt = stmt.where(ArticleRevision.number < before)
    return list(db.session.scalars(stmt))


def get_revision(article: Article, number: int) -> ArticleRevision:
    found = db.session.scalar(
        select(ArticleRevision).where(
            ArticleRevision.article_id == article.id, ArticleRevision.number == number
        )
    )
    if found is None:
        raise NotFound(f"This article has no revision {number}.")
    return found


@dataclass(frozen=True)
class DiffLine:
    """One block in a diff: `op` is equal/insert/delete/replace; `words` are (op, text) runs."""

    op: str
    kind: str
    words: list[tuple[str, str]]


def diff_revisions(old: ArticleRevision, new: ArticleRevision) -> list[DiffLine]:
    """Block by block, then word by word within a changed block; plain text, escaped later."""
    a = [(b["kind"], b["text"]) for b in old.blocks]
    b = [(b["kind"], b["text"]) for b in new.blocks]
    lines: list[DiffLine] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            lines += [DiffLine("equal", k, [("equal", t)]) for k, t in a[i1:i2]]
        elif tag == "replace" and i2 - i1 == j2 - j1:
            lines += [
                DiffLine("replace", kb, _word_diff(ta, tb))
                for (_ka, ta), (kb, tb) in zip(a[i1:i2], b[j1:j2], strict=True)
            ]
        else:
            lines += [DiffLine("delete", k, [("delete", t)]) for k, t in a[i1:i2]]
            lines += [DiffLine("insert", k, [("insert", t)]) for k, t in b[j1:j2]]
    return lines


def _word_diff(a: str, b: str) -> list[tuple[str, str]]:
    wa, wb = a.split(" "), b.split(" ")
    runs: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes():
        if tag == "equal":
            runs.append(("equal", " ".join(wa[i1:i2])))
            continue
        if i2 > i1:
            runs.append(("delete", " ".join(wa[i1:i2])))
        if j2 > j1:
            runs.append(("insert", " ".join(wb[j1:j2])))
    return runs


def list_orphans(user: User | None, article: Article) -> list[Annotation]:
    """The orphaned threads' first notes that `user` may see, oldest first, ready to present."""
    return list(
        db.session.scalars(
            select(Annotation)
            .options(
                joinedload(Annotation.author),
                joinedload(Annotation.block),
                joinedload(Annotation.article),
                joinedload(Annotation.group),
            )
            .where(
                Annotation.article_id == article.id,
                Annotation.orphaned.is_(True),
                Annotation.parent_id.is_(None),
                permissions.visible_annotations(user),
            )
            .order_by(Annotation.created_at, Annotation.id)
        )
    )


def latest_revision(article: Article) -> ArticleRevision | None:
    if article.revision == 0:
        return None
    return get_revision(article, article.revision)


def reattach_annotation(
    annotation: Annotation, article: Article, anchor: str, quote: tuple[str, str, str] | None
) -> Annotation:
    """Anchor a thread (an orphan, usually) on a current block, on a quote there if given.

    Its replies come along. The quote replaces the one it had: the author's old words are
    gone from the text, and the new ones are what the thread is now about.
    """
    if annotation.parent_id is not None:
        raise ValidationFailed(
            "Only a thread's first annotation is re-attached; its replies follow it.",
            {"annotation": "Re-attach the annotation this one replies to."},
        )
    block = db.session.scalar(
        select(Block).where(
            Block.article_id == article.id, Block.anchor == anchor, Block.retired.is_(False)
        )
    )
    if block is None:
        raise ValidationFailed(
            "No such paragraph in this article.", {"anchor": f"Unknown anchor {anchor!r}."}
        )
    start = end = None
    if quote is not None:
        where = locate(block.text, quote[0], quote[1], quote[2])
        if where is None:
            raise ValidationFailed(
                "The quoted text is not in this paragraph.",
                {"quote": "Select the words again: they do not occur in this paragraph."},
            )
        start, end = where
        annotation.quote_exact, annotation.quote_prefix, annotation.quote_suffix = quote
    else:
        annotation.quote_exact = annotation.quote_prefix = annotation.quote_suffix = None
    db.session.execute(
        update(_annotations)
        .where(_annotations.c.root_id == annotation.id, _annotations.c.id != annotation.id)
        .values(block_id=block.id, orphaned=False)
    )
    annotation.block_id = block.id
    annotation.block = block
    annotation.orphaned = False
    annotation.quote_start, annotation.quote_end = start, end
    annotation.quote_current = None
    db.session.flush()
    bump_discussion(db.session, [annotation.article_id])
    return annotation
