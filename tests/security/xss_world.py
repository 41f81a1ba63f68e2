"""Every payload in every field that reaches a page, and a crawl of the pages that show them.

Fields, by the letter in their markers ("xb007": payload 7 in an annotation body):
  b annotation bodies (Markdown)     n display names          a article text, Markdown import
  h article text, HTML import        q quotes (literal text)  g group names
  o group annotations' bodies        f flag details           m moderation reasons
  k instructors' feedback (Markdown)
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.importing import parse_article
from app.models import Annotation, Article, Block, Group, User
from app.services import feedback, groups, moderation
from app.services.annotations import NewAnnotation, Quote, post_annotation
from app.services.articles import import_article
from app.services.users import create_user
from tests.factories import PASSWORD, Factories
from tests.security.conftest import sign_in
from tests.security.markup import Scan, scan
from tests.security.payloads import MARKER, Payload, load_payloads
from tests.security.routes import Unfillable, routes

FIELDS = {
    "b": "annotation bodies",
    "n": "display names",
    "a": "article text (Markdown import)",
    "h": "article text (HTML import)",
    "q": "quotes",
    "g": "group names",
    "o": "group annotation bodies",
    "f": "flag details",
    "m": "moderation reasons",
    "k": "feedback bodies",
}
MAX_PAGES_PER_ROUTE = 6
SAMPLED = 10  # payloads also tried in a second place where each costs a note or a reading
# The importer drops what is inside an unclosed <script>, <svg>, <iframe> ...: closing them after
# each payload keeps the next one in the article, so every payload is tried.
UNSKIP = "</script></style></noscript></template></svg></iframe></nav></form>"
# A paragraph that ends without punctuation is joined to the next ("mended page break"), which
# would make one block of all the payloads: each ends a sentence instead.
END = "(end)."
# Links the crawl follows: pages further on, and the discussion switched to a group.
FOLLOWED_QUERIES = frozenset({"after", "before", "page", "cursor", "group"})


@dataclass
class XssWorld:
    articles: dict[str, Article]  # by field letter: b (names, group notes), a, h, q
    anchors: dict[str, list[str]]  # article slug -> the anchors whose pages show payloads
    group: Group
    named_groups: list[Group]
    author: User
    teach: User
    named_user: User
    notes: dict[str, list[Annotation]] = field(default_factory=dict)

    def viewers(self) -> dict[str, tuple[str | None, bool]]:
        """Who crawls: {name: (username, whether they visit pages that take URL arguments)}.

        Each sees different payloads: the author their hidden notes, moderators' reasons and
        feedback; the instructor the queue, flags, the log and the members; the named user
        their own name in the header and on the account page.
        """
        return {
            "anonymous": (None, True),
            "author": (self.author.username, True),
            "instructor": (self.teach.username, True),
            "named user": (self.named_user.username, False),
        }

    def candidates(self, kind: str, viewer: User | None) -> list[Any]:
        """The values a URL argument of `kind` takes in the crawl."""
        if kind == "article":
            return [a.slug for a in self.articles.values()]
        if kind == "group":
            return [self.group.slug, self.named_groups[0].slug]
        if kind == "annotation":
            return [notes[0].id for notes in self.notes.values()]
        if kind == "user":
            return [self.author.username, self.named_user.username]
        if kind == "anchor":
            return sorted({anchor for anchors in self.anchors.values() for anchor in anchors})
        if kind == "join_code":
            return [self.group.join_code]
        if kind == "static":
            return []
        if kind == "link_token":
            return ["forged.link-token"]
        if kind.startswith("row:"):
            return _rows(kind.removeprefix("row:"), viewer)
        raise Unfillable(kind)


def _rows(table_name: str, viewer: User | None) -> list[int]:
    """A few ids of the table, the viewer's own first where the table says whose a row is."""
    table = db.metadata.tables[table_name]
    stmt = select(table.c.id).order_by(table.c.id).limit(2)
    if viewer is not None and "user_id" in table.c:
        stmt = stmt.where(table.c.user_id == viewer.id)
    return list(db.session.scalars(stmt))


def build_xss_world(make: type[Factories]) -> XssWorld:
    payloads = load_payloads()
    author, flagger = make.user("author"), make.user("flagger")
    teach = make.user("teach", role="instructor")
    bodies = make.article(slug="bodies", title="Bodies and names")
    articles = {
        "b": bodies,
        "a": _import(
            "# Markdown payloads\n\n"
            + "\n\n".join(f"{p.marker('a')} {p.text} {END}" for p in payloads),
            "md",
            "md-payloads",
        ),
        "h": _import(
            "<h1>HTML payloads</h1>"
            + "".join(f"<p>{p.marker('h')} {p.text} {END}</p>{UNSKIP}" for p in payloads),
            "html",
            "html-payloads",
        ),
        "q": _import(
            # Its title is plain text too: a payload in it is one more thing every page prints.
            f"Quoted payloads {payloads[5].text}\n\n" + " ".join(_quotable(p) for p in payloads),
            "txt",
            "quoted-payloads",
        ),
    }
    group = make.groups.group(teach, "Seminar", tuple(articles.values()))
    make.groups.join(author, group)
    make.groups.join(flagger, group)
    # A body and a quote per note (the quote carries its own marker, "xq...").
    quoted = _first_block(articles["q"]).anchor
    notes = {
        "b": [_post(author, articles["q"], quoted, p.block("b"), Quote(_quotable(p)))
              for p in payloads],
        "o": [_post(author, bodies, "p4", p.block("o"), group=group) for p in payloads],
    }  # fmt: skip
    # Flagged while visible (a hidden placeholder cannot be flagged), then locked with a reason:
    # a lock leaves the flags waiting in the queue and its reason in the log.
    for p, note in zip(payloads, notes["o"], strict=True):
        moderation.flag_annotation(flagger, note, "other", p.line("f"))
        moderation.moderate_annotation(teach, note, "lock", p.line("m"))
        feedback.give_feedback(teach, note, p.block("k"))
    named, notes["n"] = _named_users(payloads, bodies, group)
    named_groups = [groups.create_group(teach, p.line("g", groups.MAX_NAME)) for p in payloads]
    for index, named_group in enumerate(named_groups):
        if index < SAMPLED:  # the article's group switcher; the group list shows them all
            groups.assign_reading(teach, named_group, bodies)
        groups.join_group(author, named_group.join_code)
    db.session.commit()
    anchors = {a.slug: [_first_block(a).anchor] for a in articles.values()}
    anchors[bodies.slug] = ["p3", "p4"]
    return XssWorld(articles, anchors, group, named_groups, author, teach, named, notes)


def _quotable(payload: Payload) -> str:
    """The payload as literal text, whitespace collapsed as the block's text is."""
    return f"{payload.marker('q')} {' '.join(payload.text.split())}"


def _import(source: str, fmt: str, slug: str) -> Article:
    article = import_article(parse_article(source, fmt), slug)
    db.session.commit()
    return article


def _first_block(article: Article) -> Block:
    return db.session.scalars(
        select(Block)
        .where(Block.article_id == article.id, Block.kind == "paragraph")
        .order_by(Block.position)
    ).first()  # type: ignore[return-value]


def _post(
    author: User,
    article: Article,
    anchor: str,
    body: str,
    quote: Quote | None = None,
    group: Group | None = None,
) -> Annotation:
    new = NewAnnotation(
        anchor, "comment", body, quote=quote, group_slug=group.slug if group else None
    )
    return post_annotation(author, article, new)


def _named_users(
    payloads: tuple[Payload, ...], article: Article, group: Group
) -> tuple[User, list[Annotation]]:
    """A user per payload with it as display name, all in the group (its member list shows
    them), the first few with a note on p3 (an annotation's byline)."""
    users = [create_user(f"named{p.number:03d}", PASSWORD, display_name=p.line("n", 80))
             for p in payloads]  # fmt: skip
    for user in users:
        groups.join_group(user, group.join_code)
    notes = [_post(u, article, "p3", f"Signed by {p.marker('n')}.")
             for u, p in zip(users[:SAMPLED], payloads, strict=False)]  # fmt: skip
    return users[0], notes


@dataclass(frozen=True)
class Page:
    viewer: str
    url: str
    status: int
    scan: Scan


def crawl(app: Flask, world: XssWorld, only: set[str] | None = None, deep: bool = True
          ) -> Iterator[Page]:  # fmt: skip
    """Every page (GET, outside the API) each viewer can reach with the world's values filled in,
    and the pages those link to by a query that pages through or switches the discussion.

    `only` names the viewers to crawl as (default: all); deep=False skips the markup check and
    only finds the payload markers and links (for choosing what a browser should load).
    """
    for viewer, (username, everywhere) in world.viewers().items():
        if only is not None and viewer not in only:
            continue
        client: FlaskClient = app.test_client()
        user = None
        if username:
            sign_in(client, username)
            user = db.session.scalar(select(User).where(User.username == username))
        pages = [r for r in routes(app, ["GET"], api=False) if everywhere or not r.arguments]
        queue = [url for route in pages for url in _urls(app, route, world, user)]
        seen = set(queue)
        while queue:
            url = queue.pop(0)
            response = client.get(url)
            html = response.get_data(as_text=True)
            page = Page(viewer, url, response.status_code, scan(html) if deep else _glance(html))
            yield page
            for link in page.scan.links:
                target = _followed(link, urlsplit(url).path, world)
                if target and target not in seen:
                    seen.add(target)
                    queue.append(target)


def _glance(html: str) -> Scan:
    links = [unescape(link) for link in re.findall(r'<a [^>]*href="([^"]+)"', html)]
    return Scan([], set(MARKER.findall(html)), links)


def _followed(link: str, path: str, world: XssWorld) -> str | None:
    """The link as a local URL if the crawl follows it: the same page, further on or switched
    to the main group's discussion (not each of the hundred payload-named groups')."""
    parts = urlsplit(link)
    query = dict(parse_qsl(parts.query))
    if parts.netloc not in ("", "localhost") or parts.path != path:
        return None
    if not query or not set(query) <= FOLLOWED_QUERIES:
        return None
    if query.get("group", world.group.slug) != world.group.slug:
        return None
    return f"{parts.path}?{parts.query}"


def _urls(app: Flask, route: Any, world: XssWorld, viewer: User | None) -> list[str]:
    kinds = route.kinds()
    if "static" in kinds.values() or route.endpoint.startswith("health"):
        return []
    names = list(kinds)
    options = [world.candidates(kinds[n], viewer) for n in names]
    urls = []
    for combo in itertools.islice(itertools.product(*options), 50):
        values = dict(zip([kinds[n] for n in names], combo, strict=True))
        if "anchor" in values:
            slug = values.get("article")
            if values["anchor"] not in world.anchors.get(slug, []):
                continue
        urls.append(route.url(app, values))
    return urls[:MAX_PAGES_PER_ROUTE] if "anchor" not in kinds.values() else urls
