"""`python -m bench.insight`: search, the participation page and the exports, measured in process.

Seeds its own corpus (500 articles, 100,000 annotations, a 300-member group reading ten of them;
`--small` is a tenth of it), then times, through the Flask test client:

- search: `GET /api/v1/search` for a spread of one- and two-word queries as a group member
  (p50/p95; target p50 ≤ 50 ms);
- the participation page of the 300-member group as its instructor (p50/p95, target ≤ 100 ms),
  and its statement count (the same for one reading and for all);
- exports: the peak memory (tracemalloc) of streaming the annotations CSV for 1,000 rows and for
  every row: flat means the two peaks are within a small factor.

Writes bench/out/insight.json and prints a Markdown table; `make bench` runs it after bench.run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select, text
from werkzeug.security import generate_password_hash

from bench import seed

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def _words(text: str) -> list[str]:
    return text.split()


WORDS = _words(
    "tariff argument evidence claim reader treaty border ceasefire region history power "
    "economy sanction pipeline army election minister nation culture language refugee trade "
    "alliance rhetoric policy conflict memory justice village mountain corridor winter market"
)
QUERIES = ("tariff", "treaty border", "evidence", "ceasefire corridor", "sanction", "refugee")
KINDS = ("comment", "counterargument", "question", "support")


@dataclass(frozen=True)
class Size:
    articles: int
    annotations: int
    members: int = 300
    readings: int = 10
    group_share: float = 0.2  # of the annotations, on the group's readings


SYLLABLES = _words(
    "ba be bi bo ca ce co da de di do fa fe ga go ha he ka ke la "
    "le li lo ma me mi mo na ne ni no pa pe po ra re ri ro sa se si so ta te ti to va ve vi"
)
FILLER = [a + b + c for a in SYLLABLES[:20] for b in SYLLABLES[20:] for c in ("", "n", "r")]


def _body(rng: random.Random) -> str:
    """Prose-like text: mostly a large filler vocabulary, a topical word now and then, so a
    query matches a few percent of the notes as in a real discussion, not all of them."""
    words = [
        rng.choice(WORDS) if rng.random() < 0.04 else rng.choice(FILLER)
        for _ in range(rng.randint(6, 40))
    ]
    return " ".join(words).capitalize() + "."


def seed_corpus(app: Any, size: Size, rng: random.Random) -> dict[str, Any]:
    """Users, a 300-member group, articles with blocks, annotations: Core inserts in batches."""
    from app.extensions import db
    from app.models import Annotation, Article, Block, Group, Membership, Reading, User
    from app.text import render_markdown

    now = datetime.now(UTC)
    hashed = generate_password_hash(secrets.token_hex(8), method="pbkdf2:sha256:1000")
    with app.app_context():
        conn = db.session.connection()
        users = [
            {"username": f"member{i:03d}", "display_name": f"Member {i}", "password_hash": hashed,
             "role": "instructor" if i == 0 else "member", "session_token": secrets.token_hex(16),
             "created_at": now}
            for i in range(size.members + 1)
        ]  # fmt: skip
        conn.execute(insert(User), users)
        ids = [r[0] for r in conn.execute(select(User.id).order_by(User.id))]
        teacher, members = ids[0], ids[1:]
        conn.execute(insert(Group), [{"slug": "big-class", "name": "Big class",
                     "join_code": "BENCH234", "join_code_expires_at": now + timedelta(days=9),
                     "premoderation": "off", "premoderation_posts": 3, "created_by_id": teacher,
                     "created_at": now}])  # fmt: skip
        group_id = conn.execute(select(Group.id)).scalar_one()
        conn.execute(insert(Membership), [
            {"group_id": group_id, "user_id": uid, "role": "instructor" if uid == teacher
             else "member", "status": "active", "joined_at": now, "approved_posts": 0}
            for uid in ids
        ])  # fmt: skip
        conn.execute(insert(Article), [
            {"slug": f"article-{n}", "title": f"Article {n}", "asides": [], "created_at": now,
             "updated_at": now, "discussion_version": 0}
            for n in range(size.articles)
        ])  # fmt: skip
        articles = [r[0] for r in conn.execute(select(Article.id).order_by(Article.id))]
        blocks = []
        for article_id in articles:
            for p in range(8):
                sentence = _body(rng)
                blocks.append({"article_id": article_id, "anchor": f"p{p + 1}", "position": p,
                               "kind": "paragraph", "level": 0, "text": sentence,
                               "html": sentence})  # fmt: skip
        conn.execute(insert(Block), blocks)
        by_article: dict[int, list[int]] = {}
        for block_id, article_id in conn.execute(select(Block.id, Block.article_id)):
            by_article.setdefault(article_id, []).append(block_id)
        readings = articles[: size.readings]
        conn.execute(insert(Reading), [
            {"group_id": group_id, "article_id": a, "assigned_by_id": teacher,
             "assigned_at": now, "due_on": (now + timedelta(days=3)).date()}
            for a in readings
        ])  # fmt: skip
        rendered = {b: render_markdown(b) for b in {_body(rng) for _ in range(5000)}}
        pool = list(rendered)
        rows = []
        for n in range(size.annotations):
            in_group = rng.random() < size.group_share
            article_id = rng.choice(readings) if in_group else rng.choice(articles)
            body = rng.choice(pool)
            rows.append({
                "article_id": article_id, "block_id": rng.choice(by_article[article_id]),
                "parent_id": None, "root_id": None, "depth": 0,
                "author_id": rng.choice(members), "kind": rng.choice(KINDS), "body": body,
                "body_html": rendered[body], "visibility": "group" if in_group else "public",
                "group_id": group_id if in_group else None, "status": "visible",
                "locked": False, "pinned": False, "reply_count": 0,
                "created_at": now - timedelta(minutes=n), "updated_at": now - timedelta(minutes=n),
            })  # fmt: skip
            if len(rows) == seed.CHUNK:
                conn.execute(insert(Annotation), rows)
                rows = []
        if rows:
            conn.execute(insert(Annotation), rows)
        conn.execute(text("UPDATE annotations SET root_id = id"))
        db.session.commit()
        seed.analyze(db.engine)
    return {"teacher": teacher, "member": members[0], "group": "big-class"}


def _client(app: Any, user_id: int) -> Any:
    from datetime import timedelta

    from app.extensions import db
    from app.models import User
    from app.services.user_sessions import start_session

    with app.app_context():
        user = db.session.get(User, user_id)
        # A signed-in session is a device session row plus its secret (app/sessions.py).
        secret, _ = start_session(user, False, timedelta(days=1), "bench", "127.0.0.1")
        session_id = f"{user.id}:{user.session_token}:{secret}"
        db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client


def _timed(call: Callable[[], Any], runs: int) -> list[float]:
    call()  # warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1),
        "runs": len(ordered),
    }


def measure_search(app: Any, who: dict[str, Any], runs: int) -> dict[str, Any]:
    client = _client(app, who["member"])
    assert client.get("/api/v1/me").status_code == 200, "the member is not signed in"
    times: list[float] = []
    for query in QUERIES:

        def call(q: str = query) -> None:
            response = client.get(f"/api/v1/search?q={q}&limit=20")
            assert response.status_code == 200, response.get_data(as_text=True)[:200]
            assert response.get_json()["items"], f"{q!r} found nothing"

        times += _timed(call, runs)
    return _summary(times)


def _recorder(statements: list[str]) -> Callable[..., None]:
    def record(*args: Any) -> None:
        statements.append(args[2])

    return record


def measure_participation(app: Any, who: dict[str, Any], runs: int) -> dict[str, Any]:
    from app.extensions import db

    client = _client(app, who["teacher"])
    results = {}
    for label, path in (
        ("all", f"/groups/{who['group']}/insight"),
        ("reading", f"/groups/{who['group']}/insight?article=article-0"),
    ):

        def call(p: str = path) -> None:
            response = client.get(p)
            assert response.status_code == 200, response.status_code

        times = _timed(call, runs)
        statements: list[str] = []
        with app.app_context():
            engine = db.engine
        record = _recorder(statements)
        event.listen(engine, "before_cursor_execute", record)
        try:
            call()
        finally:
            event.remove(engine, "before_cursor_execute", record)
        results[label] = {**_summary(times), "statements": len(statements)}
    return results


def measure_exports(app: Any, who: dict[str, Any]) -> dict[str, Any]:
    """Peak Python memory while streaming the annotations CSV: 1,000 rows, then every row."""
    from app.extensions import db
    from app.models import Annotation
    from app.services import exports

    out = {}
    with app.app_context():
        total = db.session.scalar(select(Annotation.id).order_by(Annotation.id.desc()).limit(1))
        for label, last in (("1k", 1000), ("all", total)):
            scope = Annotation.id <= last
            start = time.perf_counter()
            rows = sum(1 for _ in exports.annotations_csv(scope)) - 1
            seconds = time.perf_counter() - start  # timed apart: tracemalloc slows it down
            db.session.remove()
            tracemalloc.start()
            sum(1 for _ in exports.annotations_csv(scope))
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            out[label] = {
                "rows": rows,
                "peak_kib": round(peak / 1024),
                "seconds": round(seconds, 2),
            }
            db.session.remove()
    return out


def run(args: argparse.Namespace) -> int:
    size = Size(500, 100_000) if not args.small else Size(50, 10_000)
    OUT.mkdir(parents=True, exist_ok=True)
    url = args.database_url or seed.create_database(args.db, Path(tempfile.mkdtemp()))
    os.environ["DATABASE_URL"] = url
    from app import create_app

    app = create_app({"COUNTERPOINT_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
                      "RATE_LIMITS": "off", "DATABASE_URL": url})  # fmt: skip
    # In process over plain http: the production app's Secure cookie would not come back.
    app.config["SESSION_COOKIE_SECURE"] = False
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
    started = time.perf_counter()
    who = seed_corpus(app, size, random.Random(args.seed))
    seeded = time.perf_counter() - started
    results = {
        "database": url.split(":", 1)[0],
        "corpus": {"articles": size.articles, "annotations": size.annotations,
                   "group_members": size.members, "seed_seconds": round(seeded, 1)},
        "search": measure_search(app, who, args.runs),
        "participation_page": measure_participation(app, who, args.runs),
        "exports": measure_exports(app, who),
    }  # fmt: skip
    (OUT / "insight.json").write_text(json.dumps(results, indent=2))
    print(report(results))
    if not args.database_url and args.db == "postgresql":
        seed.drop_database(url)
    return 0


def report(r: dict[str, Any]) -> str:
    page = r["participation_page"]
    ex = r["exports"]
    flat = ex["all"]["peak_kib"] / max(ex["1k"]["peak_kib"], 1)
    return "\n".join([
        f"## Class insight ({r['database']}, {r['corpus']['annotations']:,} annotations, "
        f"{r['corpus']['articles']} articles, a {r['corpus']['group_members']}-member group)",
        "",
        "| measure | p50 | p95 | target |",
        "| --- | ---: | ---: | --- |",
        f"| search (`GET /api/v1/search`) | {r['search']['p50_ms']} ms | "
        f"{r['search']['p95_ms']} ms | p50 ≤ 50 ms |",
        f"| participation page, all readings ({page['all']['statements']} statements) | "
        f"{page['all']['p50_ms']} ms | {page['all']['p95_ms']} ms | p50 ≤ 100 ms |",
        f"| participation page, one reading ({page['reading']['statements']} statements) | "
        f"{page['reading']['p50_ms']} ms | {page['reading']['p95_ms']} ms | p50 ≤ 100 ms |",
        "",
        f"Annotations CSV, streamed: {ex['1k']['rows']:,} rows peak {ex['1k']['peak_kib']:,} KiB; "
        f"{ex['all']['rows']:,} rows peak {ex['all']['peak_kib']:,} KiB "
        f"({flat:.1f}×, {ex['all']['seconds']} s).",
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.insight", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", help="an empty database to use instead")
    parser.add_argument("--small", action="store_true", help="a tenth of the corpus (quick)")
    parser.add_argument("--runs", type=int, default=20, help="timed requests per measure")
    parser.add_argument("--seed", type=int, default=20261130)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
