# Vendored, unchanged below this header, from the team's shared benchmark kit:
# /work/shared/bench/lean_reference.py (md5 80ac8465205dfd700a56329438113452, 2026-11-30).
# A fresh clone has no ../shared, so `make bench` serves this copy: the issue 11 targets are
# ratios to its /mem/<n> pages. Kept verbatim (ruff skips it) so it can be diffed with its
# source; update it by copying the source again.
"""Reference ("framework limit") Flask app for side-by-side load tests.

Serve it with gunicorn exactly like the real app, then compare:
    ratio = real_app_rps / hello_rps        (how far from the framework floor)
    ratio = real_app_rps / eager_rps        (how far from a clean ORM page)

Routes (all GET unless noted)
  /hello              plain-text "Hello, World!"                       (framework limit)
  /healthz            "ok"
  /mem/<n>            article page: 40 paragraphs + n comments, rendered
                      with Jinja2 from in-memory objects (no DB)
  /eager/<n>          same page, data from SQLAlchemy 2.x ORM, eager loaded with
                      selectinload(Article.paragraphs -> Paragraph.comments -> Comment.author)
                      = 4 SELECTs per request
  /lazy/<n>           same page, naive default lazy loading inside the template
                      = 1 (article) + 1 (paragraphs) + 40 (comments per paragraph)
                        + one per distinct comment author (n // 4) SELECTs
  /core/<n>           same page from SQLAlchemy Core rows turned into plain
                      dataclasses (no ORM objects) = 3 SELECTs; the "best case"
                      for a DB-backed page
  POST /scratch/comment   JSON {"position": 1..40, "body": str, "author_id": int?,
                      "kind": "comment"|"counter"}: 1 SELECT + INSERT + COMMIT,
                      returns 201 {"id": ...}.  Writes go to a separate 'scratch'
                      article so the GET pages never change size.

<n> must be one of BENCH_SIZES (default "200,2000").  Pages for the same n are
byte-identical across /mem, /eager and /lazy.

Environment
  BENCH_DB_URL         SQLAlchemy URL (default sqlite:///$TMPDIR/flask_limit_bench.db);
                       a postgresql+psycopg:// URL works too if the driver is installed.
  BENCH_SIZES          comma-separated comment counts to seed / serve (default 200,2000)
  BENCH_COUNT_QUERIES  if "1", add an X-Query-Count response header (debug only;
                       leave off while measuring)

Seeding happens automatically on import (under a file lock, so several gunicorn
workers can start at once), or explicitly:  python lean_reference.py seed
Run:  gunicorn -w 2 -k sync -b 127.0.0.1:8001 lean_reference:app
      gunicorn -w 2 -k gthread --threads 4 -b 127.0.0.1:8001 lean_reference:app

Requires: Flask 3, SQLAlchemy 2.x, gunicorn.  No other dependencies.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
import random
import sys
import threading
from dataclasses import dataclass, field

from flask import Flask, abort, jsonify, render_template, request
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, create_engine, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, selectinload

DB_URL = os.environ.get("BENCH_DB_URL", "sqlite:///" + os.path.join(tempfile.gettempdir(), "flask_limit_bench.db"))
SIZES = tuple(int(s) for s in os.environ.get("BENCH_SIZES", "200,2000").split(",") if s.strip())
COUNT_QUERIES = os.environ.get("BENCH_COUNT_QUERIES") == "1"
N_PARAGRAPHS = 40
SCRATCH_SLUG = "scratch"

# --------------------------------------------------------------------------- data generation

_WORDS = (
    "argument claim evidence source premise reason however therefore counter point "
    "policy data study result effect cause article author reader paragraph context "
    "because although while since unless whereas moreover indeed perhaps clearly "
    "the a of to and in that is for it as with was on be by this are not or have "
    "from but an they which one you were all we can her has there been if more when "
    "will would who so no time people could than first other what its into only new"
).split()


def _sentence(rng: random.Random, lo: int, hi: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(lo, hi))]
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def _paragraph_text(rng: random.Random) -> str:
    # ~80-130 words, a normal article paragraph
    return " ".join(_sentence(rng, 10, 18) for _ in range(rng.randint(6, 8)))


def generate(n_comments: int) -> dict:
    """Deterministic article + comments; same content for memory and DB variants."""
    rng = random.Random(1000 + n_comments)
    n_users = max(10, n_comments // 4)
    paragraphs = [
        {"position": i + 1, "anchor": f"p{i + 1}", "body": _paragraph_text(rng)}
        for i in range(N_PARAGRAPHS)
    ]
    base = dt.datetime(2024, 1, 1, 12, 0, 0)
    comments = []
    for i in range(n_comments):
        comments.append(
            {
                "paragraph_index": i % N_PARAGRAPHS,
                "author_index": (i * 7) % n_users,
                "kind": "counter" if i % 5 == 0 else "comment",
                "body": " ".join(_sentence(rng, 6, 14) for _ in range(rng.randint(1, 3))),
                "created_at": base + dt.timedelta(minutes=3 * i),
            }
        )
    return {
        "slug": f"a{n_comments}",
        "title": f"Benchmark article with {n_comments} comments",
        "paragraphs": paragraphs,
        "comments": comments,
        "n_users": n_users,
    }


# --------------------------------------------------------------------------- ORM models


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "bench_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))


class Article(Base):
    __tablename__ = "bench_article"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    paragraphs: Mapped[list["Paragraph"]] = relationship(
        order_by="Paragraph.position", back_populates="article"
    )


class Paragraph(Base):
    __tablename__ = "bench_paragraph"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("bench_article.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    anchor: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    article: Mapped[Article] = relationship(back_populates="paragraphs")
    comments: Mapped[list["Comment"]] = relationship(order_by="Comment.id")


class Comment(Base):
    __tablename__ = "bench_comment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paragraph_id: Mapped[int] = mapped_column(ForeignKey("bench_paragraph.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("bench_user.id"))
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    author: Mapped[User] = relationship()


engine = create_engine(DB_URL)

_query_count = threading.local()
if COUNT_QUERIES:

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        _query_count.n = getattr(_query_count, "n", 0) + 1


def seed(force: bool = False) -> None:
    """Create tables and the benchmark articles if missing (idempotent, process-safe)."""
    lock_cm = contextlib.nullcontext()
    if DB_URL.startswith("sqlite:///"):
        import fcntl

        lock_path = DB_URL[len("sqlite:///"):] + ".lock"
        lock_file = open(lock_path, "w")  # noqa: SIM115
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        lock_cm = contextlib.closing(lock_file)
    with lock_cm:
        if force:
            Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)
        with Session(engine) as s:
            max_users = max(generate(n)["n_users"] for n in SIZES) if SIZES else 10
            have_users = s.scalar(select(User.id).order_by(User.id.desc()).limit(1)) or 0
            if have_users < max_users:
                s.add_all(User(id=i + 1, name=f"user{i + 1:04d}") for i in range(have_users, max_users))
                s.flush()
            for n in SIZES:
                data = generate(n)
                if s.scalar(select(Article.id).where(Article.slug == data["slug"])):
                    continue
                art = Article(slug=data["slug"], title=data["title"])
                paras = [Paragraph(article=art, **p) for p in data["paragraphs"]]
                s.add(art)
                s.add_all(paras)
                s.flush()
                s.add_all(
                    Comment(
                        paragraph_id=paras[c["paragraph_index"]].id,
                        author_id=c["author_index"] + 1,
                        kind=c["kind"],
                        body=c["body"],
                        created_at=c["created_at"],
                    )
                    for c in data["comments"]
                )
            if not s.scalar(select(Article.id).where(Article.slug == SCRATCH_SLUG)):
                art = Article(slug=SCRATCH_SLUG, title="Scratch article for write benchmarks")
                s.add(art)
                s.add_all(
                    Paragraph(article=art, position=i + 1, anchor=f"p{i + 1}", body="scratch")
                    for i in range(N_PARAGRAPHS)
                )
            s.commit()
    # Never hand pooled connections to forked gunicorn workers (--preload safety).
    engine.dispose()


# --------------------------------------------------------------------------- in-memory variant


@dataclass(slots=True)
class MUser:
    id: int
    name: str


@dataclass(slots=True)
class MComment:
    id: int
    kind: str
    body: str
    created_at: dt.datetime
    author: MUser


@dataclass(slots=True)
class MParagraph:
    id: int
    position: int
    anchor: str
    body: str
    comments: list = field(default_factory=list)


@dataclass(slots=True)
class MArticle:
    id: int
    slug: str
    title: str
    paragraphs: list = field(default_factory=list)


def build_memory_article(n: int) -> MArticle:
    """Mirror exactly what seed() writes, including the IDs a fresh DB assigns."""
    data = generate(n)
    idx = SIZES.index(n)
    prev_comments = sum(SIZES[:idx])
    users = [MUser(i + 1, f"user{i + 1:04d}") for i in range(data["n_users"])]
    art = MArticle(idx + 1, data["slug"], data["title"])
    art.paragraphs = [
        MParagraph(idx * N_PARAGRAPHS + i + 1, **p) for i, p in enumerate(data["paragraphs"])
    ]
    for i, c in enumerate(data["comments"]):
        art.paragraphs[c["paragraph_index"]].comments.append(
            MComment(prev_comments + i + 1, c["kind"], c["body"], c["created_at"], users[c["author_index"]])
        )
    return art


MEMORY = {n: build_memory_article(n) for n in SIZES}

# --------------------------------------------------------------------------- Flask app

ARTICLE_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ article.title }}</title>
<style>
 body{font-family:sans-serif;margin:0 auto;max-width:72rem}
 .para{display:grid;grid-template-columns:2fr 1fr;gap:1rem;border-bottom:1px solid #ddd}
 .notes li.counter{border-left:3px solid #c33;padding-left:.5rem}
</style>
</head>
<body>
<header><h1>{{ article.title }}</h1></header>
<main>
{% for p in article.paragraphs %}
<section class="para" id="{{ p.anchor }}">
  <div class="text"><a class="anchor" href="#{{ p.anchor }}">&para;{{ p.position }}</a>
    <p>{{ p.body }}</p></div>
  <aside class="notes">
  {%- set cs = p.comments %}
    <h3>{{ cs|length }} notes</h3>
    <ol>
    {%- for c in cs %}
      <li class="{{ c.kind }}" id="c{{ c.id }}"><span class="who">{{ c.author.name }}</span>
        <time datetime="{{ c.created_at.isoformat() }}">{{ c.created_at.strftime('%Y-%m-%d %H:%M') }}</time>
        {%- if c.kind == 'counter' %} <b>Counterargument</b>{% endif %}
        <p>{{ c.body }}</p></li>
    {%- endfor %}
    </ol>
    <form method="post" action="/p/{{ p.id }}/comment"><textarea name="body"></textarea><button>Add</button></form>
  </aside>
</section>
{% endfor %}
</main>
</body>
</html>
"""

app = Flask(__name__)
app.jinja_env.loader = ChoiceLoader([DictLoader({"article.html": ARTICLE_TEMPLATE}), app.jinja_env.loader])


def _check_n(n: int) -> str:
    if n not in SIZES:
        abort(404)
    return f"a{n}"


def _with_count(resp):
    if COUNT_QUERIES:
        resp.headers["X-Query-Count"] = str(getattr(_query_count, "n", 0))
    return resp


@app.before_request
def _reset_count():
    if COUNT_QUERIES:
        _query_count.n = 0


@app.get("/hello")
def hello():
    return "Hello, World!"


@app.get("/healthz")
def healthz():
    return "ok"


@app.get("/mem/<int:n>")
def page_mem(n: int):
    _check_n(n)
    return render_template("article.html", article=MEMORY[n])


@app.get("/eager/<int:n>")
def page_eager(n: int):
    slug = _check_n(n)
    with Session(engine) as s:
        stmt = (
            select(Article)
            .where(Article.slug == slug)
            .options(
                selectinload(Article.paragraphs)
                .selectinload(Paragraph.comments)
                .selectinload(Comment.author)
            )
        )
        article = s.scalars(stmt).one()
        html = render_template("article.html", article=article)
    return _with_count(app.make_response(html))


@app.get("/lazy/<int:n>")
def page_lazy(n: int):
    slug = _check_n(n)
    with Session(engine) as s:
        article = s.scalars(select(Article).where(Article.slug == slug)).one()
        html = render_template("article.html", article=article)  # lazy loads happen here
    return _with_count(app.make_response(html))


@app.get("/core/<int:n>")
def page_core(n: int):
    """Same page from SQLAlchemy Core rows (no ORM identity map / instrumentation):
    3 SELECTs, rows turned into the same light dataclasses as /mem."""
    slug = _check_n(n)
    with engine.connect() as conn:
        a = conn.execute(
            select(Article.id, Article.slug, Article.title).where(Article.slug == slug)
        ).one()
        article = MArticle(a.id, a.slug, a.title)
        by_id = {}
        for p in conn.execute(
            select(Paragraph.id, Paragraph.position, Paragraph.anchor, Paragraph.body)
            .where(Paragraph.article_id == a.id)
            .order_by(Paragraph.position)
        ):
            mp = MParagraph(p.id, p.position, p.anchor, p.body)
            article.paragraphs.append(mp)
            by_id[p.id] = mp
        users = {}
        for r in conn.execute(
            select(Comment.id, Comment.paragraph_id, Comment.kind, Comment.body,
                   Comment.created_at, User.id.label("uid"), User.name)
            .join(User, Comment.author_id == User.id)
            .join(Paragraph, Comment.paragraph_id == Paragraph.id)
            .where(Paragraph.article_id == a.id)
            .order_by(Comment.id)
        ):
            u = users.get(r.uid) or users.setdefault(r.uid, MUser(r.uid, r.name))
            by_id[r.paragraph_id].comments.append(MComment(r.id, r.kind, r.body, r.created_at, u))
    return _with_count(app.make_response(render_template("article.html", article=article)))


@app.post("/scratch/comment")
def post_comment():
    data = request.get_json(silent=True) or {}
    try:
        position = int(data.get("position", 1))
        body = str(data["body"])
    except (KeyError, TypeError, ValueError):
        abort(400)
    kind = "counter" if data.get("kind") == "counter" else "comment"
    author_id = int(data.get("author_id", 1))
    with Session(engine) as s:
        pid = s.scalar(
            select(Paragraph.id)
            .join(Article)
            .where(Article.slug == SCRATCH_SLUG, Paragraph.position == position)
        )
        if pid is None:
            abort(404)
        c = Comment(paragraph_id=pid, author_id=author_id, kind=kind, body=body,
                    created_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
        s.add(c)
        s.commit()
        new_id = c.id
    return _with_count(app.make_response((jsonify(id=new_id), 201)))


seed()

if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "seed":
        seed(force="--force" in sys.argv)
        print(f"seeded {DB_URL} sizes={SIZES}")
    else:
        # Dev server only for a quick look; measure under gunicorn.
        app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "8001")))
