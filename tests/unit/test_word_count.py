"""annotations.word_count: set wherever a body is written, and backfilled by migration 0012
exactly as Python counts (str.split), so participation's figures did not change."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import insert, select, text, update

from app.extensions import db
from app.models import Annotation, Block
from app.services.annotations import NewAnnotation, edit_annotation, post_annotation
from app.services.own_data import delete_account
from app.text import count_words
from tests.factories import PASSWORD

MIGRATION = Path(__file__).parents[2] / "migrations" / "versions" / "0012_word_count.py"
# Whitespace str.split knows and a regex or SQL might not: tabs, CR/LF, no-break, em, thin and
# ideographic spaces, the information separators; and things that are not whitespace.
BODIES = {
    "One.": 1,
    "  Two   words  ": 2,
    "tab\tand\nnew\r\nlines\x0bvt\x0cff": 6,
    "no\u00a0break\u2003em\u2009thin\u3000wide\u2028line\u0085nel": 7,
    "sep\x1carators\x1dare\x1espaces\x1ftoo": 5,
    "zero\u200bwidth is not a space": 5,
    "Émigré — café – 🙂 **bold** [link](https://example.org)": 7,
    "": 0,
}


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0012", MIGRATION)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("body", "words"), BODIES.items())
def test_the_rule_and_the_migrations_frozen_copy_count_as_python_splits(
    body: str, words: int
) -> None:
    assert count_words(body) == words == len(body.split())
    assert _migration().count_words(body) == words


def test_posting_editing_and_erasing_keep_the_count_with_the_body(make) -> None:  # type: ignore[no-untyped-def]
    author = make.user("writer")
    article = make.article()
    note = post_annotation(author, article, NewAnnotation("p2", "comment", "Three short words"))
    db.session.commit()
    assert _stored(note.id) == 3
    edit_annotation(author, note, body="Now\u00a0it has\tfive words")
    db.session.commit()
    assert _stored(note.id) == 5
    edit_annotation(author, note, kind="question")  # the body is untouched
    db.session.commit()
    assert _stored(note.id) == 5
    reply = make.annotation(make.user("other"), article, body="Keeps the thread.", parent=note)
    delete_account(author, PASSWORD)  # kept as a placeholder: its body is gone, and its words
    db.session.commit()
    assert _stored(note.id) == 0
    assert _stored(reply.id) == 3


def test_a_bulk_insert_without_a_count_gets_one_from_its_body(make) -> None:  # type: ignore[no-untyped-def]
    # The benchmark seeders and tests insert rows with Core; they need not know the column.
    author = make.user("bulk")
    article = make.article()
    block = db.session.scalar(select(Block.id).where(Block.article_id == article.id).limit(1))
    rows = [
        {"article_id": article.id, "block_id": block, "author_id": author.id, "kind": "comment",
         "body": body, "body_html": body, "visibility": "public", "status": "visible"}
        for body in BODIES
    ]  # fmt: skip
    db.session.execute(insert(Annotation), rows)
    db.session.commit()
    stored = db.session.execute(select(Annotation.body, Annotation.word_count)).all()
    assert dict(stored) == BODIES


def test_the_backfill_counts_every_existing_note_as_python_does(make) -> None:  # type: ignore[no-untyped-def]
    author = make.user("early")
    article = make.article()
    ids = {make.annotation(author, article, body=body or "placeholder").id: body for body in BODIES}
    # As they stood before the column: bodies written, nothing counted (an erased one is empty).
    db.session.execute(update(Annotation).values(word_count=0))
    db.session.execute(update(Annotation).where(Annotation.body == "placeholder").values(body=""))
    db.session.commit()
    module = _migration()
    module.BATCH = 3  # several batches, the last one short
    with db.engine.begin() as conn:
        module.backfill(conn)
    db.session.expire_all()
    for note_id, body in ids.items():
        assert _stored(note_id) == len(body.split()), repr(body)


def test_upgrading_from_0011_counts_the_words_of_notes_written_before(make) -> None:  # type: ignore[no-untyped-def]
    author = make.user("before")
    article = make.article()
    note_id = make.annotation(author, article, body="Written\u2003before the\tcolumn existed").id
    db.session.remove()
    try:
        downgrade(revision="0011_insight")
        columns = db.session.execute(text("SELECT * FROM annotations")).keys()
        assert "word_count" not in columns
    finally:
        db.session.remove()
        upgrade()
    db.session.remove()
    assert _stored(note_id) == 5


def _stored(note_id: int) -> int | None:
    return db.session.scalar(select(Annotation.word_count).where(Annotation.id == note_id))
