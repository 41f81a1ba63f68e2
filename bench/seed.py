"""Seeds a benchmark database fast: authors, cloned articles and threads of annotations."""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Connection, Engine
from werkzeug.security import generate_password_hash

from app.models import Annotation, Article, Block, Group, GroupRole, Membership, Reading, User
from app.models.user import new_session_token
from app.text import render_markdown

DEMO_SLUG = "putin-nagorno-karabakh-calculus"
AUTHORS = 50
PASSWORD = "bench-reader-passphrase-7"  # one hash for every author: hashing 50 is a waste
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
KINDS = ("comment", "counterargument", "question", "support")
MAX_LEVELS = 6  # threads are 1–6 annotations deep
QUOTE_CONTEXT = 32  # what a browser client sends each side of a selection
CHUNK = 5_000

annotations_t = Annotation.__table__
articles_t = Article.__table__
blocks_t = Block.__table__
users_t = User.__table__
groups_t = Group.__table__
memberships_t = Membership.__table__
readings_t = Reading.__table__
GROUP_SLUG = "bench-reading-group"


def username(i: int) -> str:
    return f"reader{i:02d}"


# --- databases ---------------------------------------------------------------------------


def create_database(kind: str, out_dir: Path) -> str:
    """A fresh, empty database; its SQLAlchemy URL."""
    if kind == "sqlite":
        out_dir.mkdir(parents=True, exist_ok=True)
        path = (out_dir / "bench.sqlite3").resolve()
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    if kind == "postgresql":
        admin_url = os.environ.get("BENCH_POSTGRES_URL", PG_ADMIN_URL)
        name = f"cp_bench_{os.getpid()}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        return admin_url.rsplit("/", 1)[0] + f"/{name}"
    raise ValueError(f"unknown database kind {kind!r}")


def drop_database(url: str) -> None:
    """Drop a PostgreSQL database made by create_database; a SQLite file is kept to inspect."""
    if not url.startswith("postgresql"):
        return
    admin_url = os.environ.get("BENCH_POSTGRES_URL", PG_ADMIN_URL)
    name = url.rsplit("/", 1)[1]
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def analyze(engine: Engine) -> None:
    """Planner statistics, as autovacuum keeps them on a live PostgreSQL.

    SQLite gets none: the app never runs ANALYZE there, and the benchmark measures the app.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))


# --- authors and articles ----------------------------------------------------------------


def seed_users(conn: Connection, count: int = AUTHORS) -> list[int]:
    """`count` readers (reader01, ...) sharing PASSWORD; their ids."""
    password_hash = generate_password_hash(PASSWORD)
    now = datetime.now(UTC)
    names = [username(i) for i in range(1, count + 1)]
    conn.execute(
        users_t.insert(),
        [
            {
                "username": name,
                "display_name": f"Reader {name[-2:]}",
                "password_hash": password_hash,
                "role": "member",
                "session_token": new_session_token(),
                "created_at": now - timedelta(days=90),
            }
            for name in names
        ],
    )
    rows = conn.execute(select(users_t.c.id).where(users_t.c.username.in_(names)))
    return sorted(r.id for r in rows)


@dataclass(frozen=True)
class SeedBlock:
    id: int
    anchor: str
    kind: str
    text: str


@dataclass
class SeededArticle:
    id: int
    slug: str
    blocks: list[SeedBlock]
    annotations: int = 0
    # Visible public top-level annotations (id, anchor): parents for the load's replies.
    roots: list[tuple[int, str]] = field(default_factory=list)
    busiest_anchor: str = ""
    busiest_count: int = 0


def load_article(conn: Connection, slug: str) -> SeededArticle:
    article_id = conn.execute(select(articles_t.c.id).where(articles_t.c.slug == slug)).scalar_one()
    rows = conn.execute(
        select(blocks_t.c.id, blocks_t.c.anchor, blocks_t.c.kind, blocks_t.c.text)
        .where(blocks_t.c.article_id == article_id)
        .order_by(blocks_t.c.position)
    )
    return SeededArticle(article_id, slug, [SeedBlock(*r) for r in rows])


def clone_articles(conn: Connection, source_slug: str, slugs: Sequence[str]) -> list[SeededArticle]:
    """Copies of an article and its blocks under new slugs (anchors are unique per article)."""
    source = (
        conn.execute(select(articles_t).where(articles_t.c.slug == source_slug)).one()._asdict()
    )
    blocks = [
        r._asdict()
        for r in conn.execute(select(blocks_t).where(blocks_t.c.article_id == source["id"]))
    ]
    copies = []
    for n, slug in enumerate(slugs, 1):
        row = {k: v for k, v in source.items() if k != "id"}
        row.update(slug=slug, title=f"{source['title']} (bench copy {n})")
        copies.append(row)
    for start in range(0, len(copies), CHUNK):
        conn.execute(articles_t.insert(), copies[start : start + CHUNK])
    found = conn.execute(
        select(articles_t.c.slug, articles_t.c.id).where(articles_t.c.slug.in_(slugs))
    )
    ids = dict(found.all())
    block_rows = [
        {**{k: v for k, v in b.items() if k != "id"}, "article_id": ids[slug]}
        for slug in slugs
        for b in blocks
    ]
    for start in range(0, len(block_rows), CHUNK):
        conn.execute(blocks_t.insert(), block_rows[start : start + CHUNK])
    return [load_article(conn, slug) for slug in slugs]


@dataclass(frozen=True)
class SeededGroup:
    id: int
    slug: str
    members: tuple[int, ...]


def seed_group(conn: Connection, article: SeededArticle, members: Sequence[int]) -> SeededGroup:
    """A reading group of `members` (the first its instructor) reading `article`."""
    now = datetime.now(UTC)
    conn.execute(
        groups_t.insert(),
        {"slug": GROUP_SLUG, "name": "Bench reading group", "created_by_id": members[0]},
    )
    group_id = conn.execute(select(groups_t.c.id).where(groups_t.c.slug == GROUP_SLUG)).scalar_one()
    conn.execute(
        memberships_t.insert(),
        [
            {
                "group_id": group_id,
                "user_id": user_id,
                "role": GroupRole.INSTRUCTOR if n == 0 else GroupRole.MEMBER,
                "joined_at": now - timedelta(days=60),
            }
            for n, user_id in enumerate(members)
        ],
    )
    conn.execute(
        readings_t.insert(),
        {"group_id": group_id, "article_id": article.id, "assigned_by_id": members[0]},
    )
    return SeededGroup(group_id, GROUP_SLUG, tuple(members))


# --- annotation bodies -------------------------------------------------------------------

_OPENERS = {
    "comment": ["Worth noting:", "Context:", "Interesting framing.", "A side note:", "Compare"],
    "counterargument": ["I disagree.", "Not quite:", "This overlooks", "The evidence cuts the "
                        "other way:", "Counterpoint:"],
    "question": ["Why does", "What evidence is there that", "How would", "Is it true that",
                 "Who decided that"],
    "support": ["Exactly right.", "Agreed, and", "This matches what", "Strong point:",
                "Yes —"],
}  # fmt: skip
_CLAUSES = [
    "Moscow's restraint reads as weakness to its CSTO partners",
    "Ankara's drones changed the balance on the ground within weeks",
    "Yerevan expected the alliance to act and it did not",
    "the ceasefire leaves Russian peacekeepers as the arbiter of the corridor",
    "energy routes through the South Caucasus matter more than the article admits",
    "the 1994 ceasefire line had long stopped reflecting military reality",
    "public opinion in Armenia has turned against the security guarantee",
    "Baku's position was strengthened by years of arms purchases",
    "the Kremlin's priority was keeping Turkey out of a formal role",
    "small states in the region will hedge between Moscow and Ankara",
    "the article treats the FSU as one bloc when the interests diverge sharply",
    "the timing of the intervention is the real story here",
]
_LINKS = [
    "https://www.crisisgroup.org/europe-central-asia/caucasus",
    "https://en.wikipedia.org/wiki/2020_Nagorno-Karabakh_war",
    "https://www.themoscowtimes.com/",
]


def _body(rng: random.Random, kind: str) -> str:
    """A Markdown body: one sentence to a few paragraphs, some with emphasis, links, lists."""
    shape = rng.random()
    sentences = []
    for _ in range(rng.choice((1, 1, 2, 3, 4, 6))):
        clause = rng.choice(_CLAUSES)
        end = "?" if kind == "question" and rng.random() < 0.6 else "."
        sentences.append(f"{rng.choice(_OPENERS[kind])} {clause}{end}")
    if shape < 0.15:
        sentences[0] = f"**{sentences[0]}**"
    elif shape < 0.30:
        sentences[-1] += f" See [this analysis]({rng.choice(_LINKS)})."
    elif shape < 0.40:
        sentences.append("\n\n" + "\n".join(f"- {rng.choice(_CLAUSES)}" for _ in range(3)))
    elif shape < 0.45:
        sentences.insert(0, f"> {rng.choice(_CLAUSES)}\n\n")
    elif shape < 0.55:
        sentences.append(f"\n\nThe *{rng.choice(('key', 'real', 'missing'))}* point stands.")
    return " ".join(sentences).replace(" \n", "\n").strip()


class BodyPool:
    """A few hundred distinct bodies, each rendered to HTML once however often it is used."""

    def __init__(self, rng: random.Random, per_kind: int = 60) -> None:
        self.bodies: dict[str, list[tuple[str, str]]] = {}
        for kind in KINDS:
            sources = sorted({_body(rng, kind) for _ in range(per_kind)})
            self.bodies[kind] = [(s, render_markdown(s)) for s in sources]

    def pick(self, rng: random.Random, kind: str) -> tuple[str, str]:
        return rng.choice(self.bodies[kind])


# --- threads -------------------------------------------------------------------------------


@dataclass(eq=False)
class _Node:
    block: SeedBlock
    parent: _Node | None
    depth: int
    created: datetime
    author_id: int
    kind: str
    status: str = "visible"
    visibility: str = "public"
    quote: tuple[str, str, str] | None = None
    id: int = 0
    reply_count: int = 0

    @property
    def root(self) -> _Node:
        node = self
        while node.parent is not None:
            node = node.parent
        return node


_WORD = re.compile(r"\S+")


def make_quote(rng: random.Random, block_text: str) -> tuple[str, str, str] | None:
    """(exact, prefix, suffix): a run of 2–10 words of the block, as a reader would select it."""
    words = list(_WORD.finditer(block_text))
    if len(words) < 2:
        return None
    span = rng.randint(2, min(10, len(words)))
    first = rng.randrange(0, len(words) - span + 1)
    start, end = words[first].start(), words[first + span - 1].end()
    prefix = block_text[max(0, start - QUOTE_CONTEXT) : start]
    return block_text[start:end], prefix, block_text[end : end + QUOTE_CONTEXT]


def _thread_size(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.45:
        return 1
    if r < 0.70:
        return rng.randint(2, 3)
    if r < 0.90:
        return rng.randint(4, 8)
    return rng.randint(9, 20)


def _kind(rng: random.Random, reply: bool) -> str:
    weights = (25, 30, 15, 30) if reply else (35, 25, 25, 15)
    return rng.choices(KINDS, weights)[0]


def plan_threads(
    rng: random.Random,
    blocks: Sequence[SeedBlock],
    authors: Sequence[int],
    count: int,
    now: datetime,
    reader: int | None = None,
) -> list[_Node]:
    """`count` annotations in threads over `blocks`, in creation order.

    `reader` (the benchmark's signed-in reader) has only visible, public notes: then their
    pages draw the shared layer whole at every size, so the 200- and 2,000-note pages compare
    like with like. A reader with notes drawn apart (private, hidden) costs 2 statements more
    at any size; the suite asserts that (tests/functional/web/test_query_counts.py).

    Busy paragraphs get most of the discussion (a long-tailed weight per block); the first six
    threads are 1, 2, ... 6 levels deep so every depth occurs, the rest vary.
    """
    weights = [rng.paretovariate(1.2) * (0.2 if b.kind == "heading" else 1.0) for b in blocks]
    nodes: list[_Node] = []
    thread_no = 0
    while len(nodes) < count:
        remaining = count - len(nodes)
        if thread_no < MAX_LEVELS:
            levels = thread_no + 1
            size = 1 if levels == 1 else max(levels, _thread_size(rng))
        else:
            size = _thread_size(rng)
            levels = 1 if size == 1 else rng.randint(2, min(MAX_LEVELS, size))
        size = min(size, remaining)
        levels = min(levels, size)
        thread_no += 1
        block = rng.choices(blocks, weights)[0]
        started = now - timedelta(days=40) + timedelta(seconds=rng.uniform(0, 30 * 86400))
        thread: list[_Node] = []
        for i in range(size):
            if i == 0:
                parent = None
            elif i < levels:
                parent = thread[i - 1]  # the spine that makes the thread `levels` deep
            else:
                parent = rng.choice([n for n in thread if n.depth < levels - 1])
            author = rng.choice(authors)
            if parent is not None and author == parent.author_id and len(authors) > 1:
                author = authors[(authors.index(author) + 1) % len(authors)]
            created = (
                started
                if parent is None
                else parent.created + timedelta(seconds=rng.uniform(120, 86400))
            )
            node = _Node(
                block=block,
                parent=parent,
                depth=0 if parent is None else parent.depth + 1,
                created=min(created, now - timedelta(seconds=1)),
                author_id=author,
                kind=_kind(rng, reply=parent is not None),
            )
            if parent is None and rng.random() < 0.4:
                node.quote = make_quote(rng, block.text)
            r = rng.random()
            node.status = "deleted" if r < 0.03 else "hidden" if r < 0.05 else "visible"
            if size == 1 and rng.random() < 0.03:
                node.visibility = "private"  # an author's own note; replies would inherit it
            if author == reader:  # after the draws, so the threads are drawn as before
                node.status, node.visibility = "visible", "public"
            thread.append(node)
        nodes.extend(thread)
    nodes.sort(key=lambda n: n.created)  # ids follow creation time, as the service's do
    return nodes


def annotation_rows(
    nodes: Sequence[_Node],
    article_id: int,
    first_id: int,
    rng: random.Random,
    pool: BodyPool,
    group_id: int | None = None,
) -> list[dict[str, Any]]:
    """Table rows for planned nodes: ids, root_id, depth, reply_count as the service keeps them.

    With `group_id`, every note is in that group's discussion (none private)."""
    for offset, node in enumerate(nodes):
        node.id = first_id + offset
    for node in nodes:
        # post_annotation adds one per reply; delete (and hiding) takes a visible one back off.
        if node.parent is not None and node.status == "visible":
            node.parent.reply_count += 1
    rows = []
    for node in nodes:
        body, body_html = pool.pick(rng, node.kind)
        edited = node.status == "deleted" or rng.random() < 0.05
        quote = node.quote or (None, None, None)
        rows.append(
            {
                "id": node.id,
                "article_id": article_id,
                "block_id": node.block.id,
                "parent_id": node.parent.id if node.parent else None,
                "root_id": node.root.id,
                "depth": node.depth,
                "author_id": node.author_id,
                "kind": node.kind,
                "body": body,
                "body_html": body_html,
                "quote_exact": quote[0],
                "quote_prefix": quote[1],
                "quote_suffix": quote[2],
                "visibility": "group" if group_id is not None else node.visibility,
                "group_id": group_id,
                "status": node.status,
                "locked": False,
                "pinned": False,
                "reply_count": node.reply_count,
                "created_at": node.created,
                "updated_at": node.created
                + timedelta(seconds=rng.uniform(300, 7200) if edited else 0),
            }
        )
    return rows


def next_annotation_id(conn: Connection) -> int:
    return (
        int(conn.execute(select(func.coalesce(func.max(annotations_t.c.id), 0))).scalar_one()) + 1
    )


def insert_rows(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """executemany in chunks; then move PostgreSQL's id sequence past the ids given here."""
    for start in range(0, len(rows), CHUNK):
        conn.execute(annotations_t.insert(), rows[start : start + CHUNK])
    if conn.dialect.name == "postgresql" and rows:
        conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('annotations', 'id'), "
                "(SELECT max(id) FROM annotations))"
            )
        )


def seed_annotations(
    conn: Connection,
    articles: Iterable[tuple[SeededArticle, int]],
    authors: Sequence[int],
    rng: random.Random,
    pool: BodyPool,
    group_id: int | None = None,
    reader: int | None = None,
) -> None:
    """`n` annotations on each (article, n), in one id range, inserted in bulk (`reader`: see
    plan_threads).

    With `group_id`, they are that group's discussion; the articles' description (roots,
    busiest paragraph) stays that of their public discussion."""
    now = datetime.now(UTC)
    next_id = next_annotation_id(conn)
    batch: list[dict[str, Any]] = []
    for article, n in articles:
        nodes = plan_threads(rng, article.blocks, authors, n, now, reader)
        rows = annotation_rows(nodes, article.id, next_id, rng, pool, group_id)
        next_id += len(rows)
        if group_id is None:
            _describe(article, nodes)
        batch.extend(rows)
        if len(batch) >= CHUNK:
            insert_rows(conn, batch)
            batch = []
    insert_rows(conn, batch)


def _describe(article: SeededArticle, nodes: Sequence[_Node]) -> None:
    article.annotations += len(nodes)
    article.roots = [
        (n.id, n.block.anchor)
        for n in nodes
        if n.parent is None and n.status == "visible" and n.visibility == "public"
    ]
    per_block: dict[str, int] = {}
    for n in nodes:
        per_block[n.block.anchor] = per_block.get(n.block.anchor, 0) + 1
    if per_block:
        article.busiest_anchor, article.busiest_count = max(per_block.items(), key=lambda kv: kv[1])


# --- what the load posts ----------------------------------------------------------------


def post_bodies(
    rng: random.Random, article: SeededArticle, pool: BodyPool, count: int
) -> list[dict[str, Any]]:
    """JSON bodies for POST /annotations: new notes (some quoting) and replies to seeded roots."""
    paragraphs = [b for b in article.blocks if b.kind == "paragraph"]
    bodies = []
    for _ in range(count):
        kind = rng.choice(KINDS)
        body: dict[str, Any] = {"kind": kind, "body": pool.pick(rng, kind)[0]}
        if article.roots and rng.random() < 0.25:
            parent_id, anchor = rng.choice(article.roots)
            body.update(anchor=anchor, parent=parent_id)
        else:
            block = rng.choice(paragraphs)
            body["anchor"] = block.anchor
            if rng.random() < 0.4 and (quote := make_quote(rng, block.text)):
                body["quote"] = dict(zip(("exact", "prefix", "suffix"), quote, strict=True))
        bodies.append(body)
    return bodies
