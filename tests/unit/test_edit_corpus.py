"""The edit corpus, run: every annotation of every realistic edit lands where it belongs.

Counts each annotation as correct (anchored where expected, or orphaned when its text went),
wrong (on other words), orphaned (set aside though its words survive) or lost (gone). Targets
from issue 8: at least 98 % of the annotations expected to stay anchored do, none wrong, none
lost.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from app.extensions import db
from app.importing import parse_article
from app.models import Annotation, Block
from app.services.annotations import NewAnnotation, Quote, post_annotation
from app.services.articles import import_article_summary
from tests.corpus.edits import ARTICLES, EDITS, ORPHAN, Edit, Note

CONTEXT = 32


def _apply(source: str, edit: Edit) -> str:
    for old, new in edit.replace:
        assert source.count(old) >= 1, f"{edit.name}: {old[:40]!r} is not in the article"
        source = source.replace(old, new, 1)
    return source


def _blocks(article_id: int) -> list[Block]:
    return list(
        db.session.scalars(
            select(Block)
            .where(Block.article_id == article_id, Block.retired.is_(False))
            .order_by(Block.position)
        )
    )


def _post(user, article, blocks: list[Block], note: Note) -> int:
    opening = note.block or note.near
    if opening is not None:
        block = next(b for b in blocks if b.text.startswith(opening) or opening in b.text)
    else:
        block = next(b for b in blocks if note.quote and note.quote in b.text)
    quote = None
    if note.quote is not None:
        start = block.text.index(note.quote)
        end = start + len(note.quote)
        quote = Quote(
            note.quote, block.text[max(0, start - CONTEXT) : start], block.text[end : end + CONTEXT]
        )
    data = NewAnnotation(anchor=block.anchor, kind="comment", body="A note.", quote=quote)
    return post_annotation(user, article, data).id


def _verdict(note: Note, found: Annotation | None, blocks: list[Block]) -> str:
    if found is None:
        return "lost"
    if note.expect == ORPHAN:
        return "correct" if found.orphaned else "wrong"
    if found.orphaned:
        return "orphaned"
    target = note.expect_in or note.near or note.expect
    expected = next((b for b in blocks if b.text.startswith(target)), None) or next(
        (b for b in blocks if target in b.text), None
    )
    if expected is None or found.block_id != expected.id:
        return "wrong"
    if note.quote is None:
        return "correct" if found.quote_range is None else "wrong"
    start, end = found.quote_start, found.quote_end
    return "correct" if expected.text[start:end] == note.expect else "wrong"


def run_edit(make, index: int, edit: Edit) -> list[tuple[Note, str]]:
    user = make.user()
    slug = f"corpus-{index}"
    original = ARTICLES[edit.article]
    article = import_article_summary(parse_article(original, "md"), slug).article
    blocks = _blocks(article.id)
    ids = [_post(user, article, blocks, note) for note in edit.notes]
    db.session.commit()
    import_article_summary(parse_article(_apply(original, edit), "md"), slug, force=True)
    db.session.commit()
    db.session.expire_all()
    after = _blocks(article.id)
    return [
        (note, _verdict(note, db.session.get(Annotation, note_id), after))
        for note, note_id in zip(edit.notes, ids, strict=True)
    ]


def test_the_corpus_is_large_and_varied_enough() -> None:
    assert len(EDITS) >= 40
    assert len({edit.article for edit in EDITS}) >= 3
    assert any(note.expect == ORPHAN for edit in EDITS for note in edit.notes)
    assert any(note.block for edit in EDITS for note in edit.notes)


def test_every_annotation_of_the_edit_corpus_lands_where_it_belongs(make) -> None:
    tally: Counter[str] = Counter()
    misses: list[str] = []
    for index, edit in enumerate(EDITS):
        for note, verdict in run_edit(make, index, edit):
            tally[verdict] += 1
            if verdict != "correct":
                misses.append(f"{edit.name}: {note.quote or note.block!r} → {verdict}")
    expected_anchored = sum(note.expect != ORPHAN for edit in EDITS for note in edit.notes)
    anchored_wrongly = tally["orphaned"]
    print(f"\nedit corpus: {dict(tally)} of {sum(tally.values())} annotations")
    print("\n".join(misses))
    assert tally["wrong"] == 0, misses
    assert tally["lost"] == 0, misses
    assert (expected_anchored - anchored_wrongly) / expected_anchored >= 0.98, misses


@pytest.mark.parametrize("edit", [e for e in EDITS if e.name == "two paragraphs merged"])
def test_whole_block_notes_of_merged_blocks_follow_into_the_merged_one(make, edit) -> None:
    verdicts = [verdict for _note, verdict in run_edit(make, 999, edit)]
    assert verdicts == ["correct"] * len(verdicts)
