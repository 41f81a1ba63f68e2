"""The benchmark seeder: bulk-inserted threads look exactly like ones the service would build."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, Article, Block, Membership, Reading, User
from app.services.annotations import NewAnnotation, Quote, post_annotation
from app.services.articles import import_demo
from app.text import render_markdown
from bench import seed


@pytest.fixture
def seeded(app_ctx: Flask) -> dict[str, Any]:
    """The demo article with 150 annotations and a clone of it with 60, from five authors."""
    import_demo()
    db.session.commit()
    rng = random.Random(7)
    with db.engine.begin() as conn:
        authors = seed.seed_users(conn, 5)
        demo = seed.load_article(conn, seed.DEMO_SLUG)
        (copy,) = seed.clone_articles(conn, seed.DEMO_SLUG, ["bench-copy"])
        pool = seed.BodyPool(rng, per_kind=6)
        seed.seed_annotations(conn, [(demo, 150), (copy, 60)], authors, rng, pool)
    return {"authors": authors, "demo": demo, "copy": copy, "pool": pool, "rng": rng}


def _all() -> dict[int, Annotation]:
    return {a.id: a for a in db.session.scalars(select(Annotation))}


def test_seeding_makes_the_asked_number_on_each_article(seeded: dict[str, Any]) -> None:
    per_article = Counter(a.article_id for a in _all().values())
    assert per_article == {seeded["demo"].id: 150, seeded["copy"].id: 60}
    assert seeded["demo"].annotations == 150
    copy_blocks = db.session.scalars(
        select(Block).where(Block.article_id == seeded["copy"].id).order_by(Block.position)
    )
    assert [b.anchor for b in copy_blocks] == [b.anchor for b in seeded["demo"].blocks]


def test_threads_have_the_root_depth_and_order_the_service_gives(seeded: dict[str, Any]) -> None:
    notes = _all()
    for a in notes.values():
        if a.parent_id is None:
            assert (a.root_id, a.depth) == (a.id, 0)
            continue
        parent = notes[a.parent_id]
        assert a.root_id == parent.root_id
        assert a.depth == parent.depth + 1
        assert (a.block_id, a.article_id) == (parent.block_id, parent.article_id)
        assert a.visibility == parent.visibility  # a reply shares its parent's visibility
        assert a.created_at > parent.created_at
        assert a.id > parent.id  # ids follow creation time, as the service's do
    assert {a.depth for a in notes.values()} == set(range(seed.MAX_LEVELS))  # 1–6 deep
    assert {a.kind for a in notes.values()} == set(seed.KINDS)


def test_reply_count_is_the_number_of_visible_direct_replies(seeded: dict[str, Any]) -> None:
    notes = _all()
    visible_replies = Counter(
        a.parent_id for a in notes.values() if a.parent_id and a.status == "visible"
    )
    assert {a.id: a.reply_count for a in notes.values()} == {
        a.id: visible_replies.get(a.id, 0) for a in notes.values()
    }
    assert any(a.status != "visible" and a.parent_id for a in notes.values())


def test_quotes_occur_in_their_block_with_their_context(seeded: dict[str, Any]) -> None:
    texts = {b.id: b.text for b in db.session.scalars(select(Block))}
    quoted = [a for a in _all().values() if a.quote_exact is not None]
    assert quoted
    for a in quoted:
        assert a.quote_prefix + a.quote_exact + a.quote_suffix in texts[a.block_id]
        assert 0 < len(a.quote_prefix or "x") <= seed.QUOTE_CONTEXT


def test_bodies_are_stored_with_the_renderers_html(seeded: dict[str, Any]) -> None:
    notes = list(_all().values())
    assert all(a.body_html == render_markdown(a.body) for a in notes[:40])
    assert len({a.body for a in notes}) <= 4 * 6  # rendered once per distinct body


def test_the_service_carries_on_from_seeded_data(seeded: dict[str, Any]) -> None:
    """Ids continue past the seeded ones (PostgreSQL's sequence too) and counts stay right."""
    notes = _all()
    article = db.session.get(Article, seeded["demo"].id)
    user = db.session.get(User, seeded["authors"][0])
    root_id, anchor = seeded["demo"].roots[0]
    before = notes[root_id].reply_count
    reply = post_annotation(user, article, NewAnnotation(anchor, "support", "Yes.", root_id))
    db.session.commit()
    assert reply.id > max(notes)
    db.session.refresh(notes[root_id])
    assert notes[root_id].reply_count == before + 1


def test_post_bodies_are_accepted_by_the_service(seeded: dict[str, Any]) -> None:
    article = db.session.get(Article, seeded["demo"].id)
    user = db.session.get(User, seeded["authors"][1])
    bodies = seed.post_bodies(seeded["rng"], seeded["demo"], seeded["pool"], 40)
    assert any("parent" in b for b in bodies)
    assert any("quote" in b for b in bodies)
    for b in bodies:
        quote = Quote(**b["quote"]) if "quote" in b else None
        new = NewAnnotation(b["anchor"], b["kind"], b["body"], b.get("parent"), quote)
        post_annotation(user, article, new)  # raises if the anchor, parent or quote is wrong
    db.session.rollback()


def test_a_seeded_group_discussion_is_the_groups_and_its_members(
    seeded: dict[str, Any],
) -> None:
    """The group member's scenario: a group reading the demo article, its notes by members,
    in its discussion alone; the article's public description is left as it was."""
    authors, demo = seeded["authors"], seeded["demo"]
    public_roots = list(demo.roots)
    members = [authors[1], authors[0], authors[2]]
    with db.engine.begin() as conn:
        group = seed.seed_group(conn, demo, members)
        seed.seed_annotations(conn, [(demo, 30)], members, seeded["rng"], seeded["pool"], group.id)
    grouped = [a for a in _all().values() if a.group_id is not None]
    assert len(grouped) == 30
    assert {a.group_id for a in grouped} == {group.id}
    assert {a.visibility for a in grouped} == {"group"}
    assert {a.author_id for a in grouped} <= set(members)
    assert (demo.roots, demo.annotations) == (public_roots, 150)
    roles = dict(
        db.session.execute(
            select(Membership.user_id, Membership.role).where(Membership.group_id == group.id)
        ).all()
    )
    assert roles == {authors[1]: "instructor", authors[0]: "member", authors[2]: "member"}
    assert db.session.scalar(select(Reading.article_id).where(Reading.group_id == group.id)) == (
        demo.id
    )


def test_the_signed_in_benchmark_reader_has_only_visible_public_notes() -> None:
    """Then their 200- and 2,000-note pages both draw the shared layer whole."""
    blocks = [seed.SeedBlock(n, f"p{n}", "paragraph", "Some words here. " * 5) for n in range(40)]
    now = datetime.now(UTC)
    everyone = seed.plan_threads(random.Random(3), blocks, [1, 2, 3], 2_000, now)
    theirs = [n for n in seed.plan_threads(random.Random(3), blocks, [1, 2, 3], 2_000, now, 1)
              if n.author_id == 1]  # fmt: skip
    assert any(n.status != "visible" or n.visibility != "public"
               for n in everyone if n.author_id == 1)  # fmt: skip
    assert theirs
    assert all(n.status == "visible" and n.visibility == "public" for n in theirs)
