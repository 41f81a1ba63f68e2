"""`python -m bench.revision`: time one revision of a 200-paragraph article with 5,000 notes.

Builds the article through the import service, inserts the annotations in bulk (quoted and
whole-block, threads with replies), then applies a realistic revision (typos fixed inside
quotes, sentences reworded, paragraphs inserted, deleted, split, merged and moved) and
times `import_article_summary` — the whole revision: pairing, re-finding every quote, the
block and annotation writes and the report — inside one transaction. Not a test: a number.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

PARAGRAPHS = 200
ANNOTATIONS = 5_000
_VOCABULARY = """argument evidence claim reader treaty river city teacher student letter island
rule commons pasture heat tree water shade border prisoner spring summer autumn winter history
power seminar question answer council village market harbour engine"""
WORDS = _VOCABULARY.split()


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
    return " ".join(words).capitalize() + "."


def make_source(rng: random.Random) -> list[str]:
    return [" ".join(_sentence(rng) for _ in range(rng.randint(3, 6))) for _ in range(PARAGRAPHS)]


def revise_source(paragraphs: list[str], rng: random.Random) -> list[str]:
    """About a fifth of the paragraphs change, in every way an instructor edits."""
    out = list(paragraphs)
    for i in rng.sample(range(len(out)), 20):  # typo fixes and small rewordings
        out[i] = out[i].replace(" the ", " the very ", 1).replace("e", "é", 1)
    for i in sorted(rng.sample(range(len(out)), 8), reverse=True):  # deletions
        del out[i]
    for i in sorted(rng.sample(range(len(out)), 8), reverse=True):  # insertions
        out.insert(i, _sentence(rng) + " " + _sentence(rng))
    for i in sorted(rng.sample(range(len(out) - 1), 4), reverse=True):  # splits
        head, _, tail = out[i].partition(". ")
        out[i : i + 1] = [head + ".", tail]
    for i in sorted(rng.sample(range(len(out) - 1), 4), reverse=True):  # merges
        out[i : i + 2] = [out[i] + " " + out[i + 1]]
    moved = out.pop(10)
    out.insert(150, moved)
    return out


def _markdown(paragraphs: list[str]) -> str:
    return "# A long reading\n\n" + "\n\n".join(paragraphs) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)

    from app import create_app
    from app.extensions import db
    from app.importing import parse_article
    from app.models import Annotation, Block, User
    from app.services.articles import import_article_summary

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'revision.sqlite3'}"
        app = create_app({"DATABASE_URL": url, "TESTING": True, "RATE_LIMITS": "off"})
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            user = User(username="bench", display_name="Bench", password_hash="x")
            db.session.add(user)
            paragraphs = make_source(rng)
            article = import_article_summary(
                parse_article(_markdown(paragraphs), "md"), "long-reading"
            ).article
            blocks = list(db.session.scalars(select(Block).where(Block.article_id == article.id)))
            _seed_annotations(db, Annotation.__table__, article.id, user.id, blocks, rng)
            db.session.commit()

            draft = parse_article(_markdown(revise_source(paragraphs, rng)), "md")
            started = time.perf_counter()
            summary = import_article_summary(draft, "long-reading", force=True)
            db.session.commit()
            elapsed = time.perf_counter() - started
    print(f"revision of {PARAGRAPHS} paragraphs with {ANNOTATIONS:,} annotations: {elapsed:.3f} s")
    print(f"report: {summary.report}")
    return 0


def _quote(text: str, rng: random.Random) -> dict[str, Any]:
    """Two in three notes quote a few words, with the context a browser would store."""
    words = text.split(" ")
    if rng.random() >= 0.67 or len(words) <= 6:
        return dict.fromkeys(
            ("quote_exact", "quote_prefix", "quote_suffix", "quote_start", "quote_end")
        )
    first = rng.randrange(len(words) - 4)
    exact = " ".join(words[first : first + rng.randint(2, 5)])
    start = text.find(exact)
    end = start + len(exact)
    return {
        "quote_exact": exact,
        "quote_prefix": text[max(0, start - 32) : start],
        "quote_suffix": text[end : end + 32],
        "quote_start": start,
        "quote_end": end,
    }


def _seed_annotations(db: Any, table: Any, article_id: int, user_id: int, blocks: list[Any],
                      rng: random.Random) -> None:  # fmt: skip
    """Threads of up to three notes, inserted through Core (the seeding is not measured)."""
    now = datetime.now(UTC)
    made = 0
    while made < ANNOTATIONS:
        block = rng.choice(blocks)
        row = {
            "article_id": article_id, "block_id": block.id, "author_id": user_id,
            "kind": "comment", "body": "A note.", "body_html": "<p>A note.</p>",
            "visibility": "public", "status": "visible", "created_at": now, "updated_at": now,
            "depth": 0, **_quote(block.text, rng),
        }  # fmt: skip
        root = db.session.execute(insert(table).values(**row)).inserted_primary_key[0]
        db.session.execute(table.update().where(table.c.id == root).values(root_id=root))
        made += 1
        for _ in range(min(rng.randint(0, 2), ANNOTATIONS - made)):
            reply = {**row, **_quote("", rng), "parent_id": root, "root_id": root, "depth": 1}
            db.session.execute(insert(table).values(**reply))
            made += 1


if __name__ == "__main__":
    sys.exit(main())
