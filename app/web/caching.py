"""The reading page's shared layer: HTTP validators (ETag, 304) and a per-worker cache of the
discussion as every reader of it sees it.

Every reader of an article's discussion — the public one, or a group's — sees the same blocks,
counts and previewed notes, except for what is theirs alone: their own notes' controls, their
helpful marks and flags, the groups they may switch to (app/services/personal.py, one
statement). So the blocks are drawn once per (article, discussion, order, version) for
`permissions.Everyone` and kept here, and each reader's page is that, plus the personal layer
drawn per request around it (header, switcher, a data island the page's script turns into
controls). Readers for whom the shared drawing would be wrong get the page drawn in full:
the discussion's moderators (they see held notes and hidden words) and readers with notes that
look different to them (private, held, hidden, with feedback; `Personal.apart`).

Correctness never rests on the cache: its key holds the article's `discussion_version`, read
from the database on every request and raised in the transaction of every write
(app/services/versions.py), so a changed discussion is a new key, never a stale entry.

The cache lives in each worker process (a small LRU, bounded by entries and bytes): with N
gunicorn workers an article is drawn up to N times per version, and two app instances agree
because the version, not the process, decides freshness. Relative times ("5 minutes ago") in a
kept fragment are at most FRESH_SECONDS old: the key and the ETag both change then. A restore
(`flask restore`) moves versions back; reload the workers after one, or for up to a minute a
kept fragment could match a version number again.

HTTP: the anonymous page is the same for everyone, so a shared proxy may keep it
(`public, max-age=0, s-maxage=SHARED_SECONDS`, revalidated with its ETag: one statement for a
304). Signed-in pages hold a CSRF token and are `no-store` (app/security.py).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from flask import (
    current_app,
    get_template_attribute,
    make_response,
    render_template,
    request,
    session,
)
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from app import permissions
from app.models import Article
from app.web import gzipped
from app.web.present import BlockView, Place

PAGE_TEMPLATE = "articles/article.html"
FRESH_SECONDS = 60
MAX_ENTRIES = 128
MAX_BYTES = 32 * 1024 * 1024
ROOT = Path(__file__).resolve().parent.parent.parent

# (article id, created_at, group id or 0, preview order), discussion version, time bucket
Discussion = tuple[int, float, int, str]
Key = tuple[Discussion, int, int]
Parts = tuple["Part", ...]  # the article's blocks, in order
# Where the blocks go in the drawn page: a comment no escaped text can spell.
BLOCKS_MARK = Markup("<!--blocks %s-->") % secrets.token_hex(8)
SHARED_SECONDS = 2  # how long a shared proxy may serve an anonymous page before revalidating


class FragmentCache:
    """A thread-safe LRU of rendered HTML, bounded by entries and total size.

    Only the newest key per discussion is kept: once a version is superseded, its HTML can
    never be asked for again.
    """

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items: OrderedDict[Key, Shared] = OrderedDict()
        self._newest: dict[Discussion, Key] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Key) -> Shared | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Key, shared: Shared) -> Shared:
        size = shared.size
        if self.max_entries <= 0 or size > self.max_bytes:
            return shared
        with self._lock:
            older = self._newest.get(key[0])
            if older is not None and older != key:
                self._drop(older)
            if key in self._items:
                self._drop(key)
            self._items[key] = shared
            self._newest[key[0]] = key
            self._bytes += size
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                self._drop(next(iter(self._items)))
        return shared

    def _drop(self, key: Key) -> None:
        shared = self._items.pop(key, None)
        if shared is not None:
            self._bytes -= shared.size
            if self._newest.get(key[0]) == key:
                del self._newest[key[0]]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._newest.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def size(self) -> int:
        return self._bytes


@dataclass(frozen=True)
class Part:
    """One block of the shared layer: its HTML, and where it stands (to draw it for a reader
    whose own notes in it look different to them)."""

    html: Markup
    place: Place


@dataclass(frozen=True)
class Shared:
    """A discussion's blocks as kept: one Part each, and (once a page asks) all of them joined
    and deflated for app/web/gzipped.py."""

    parts: Parts
    level: int  # the gzip level the deflated form is made at

    @cached_property
    def deflated(self) -> gzipped.Deflated:
        return gzipped.deflate("".join(part.html for part in self.parts), self.level)

    @property
    def size(self) -> int:
        """Bytes held, about: the blocks' HTML, and their UTF-8 beside the deflated form."""
        return 2 * sum(len(part.html) for part in self.parts)


fragments = FragmentCache()
_local = threading.local()


@contextmanager
def bypassed() -> Iterator[None]:
    """Draw pages in full in this thread (the benchmark's reference snapshots the real view)."""
    _local.bypass = True
    try:
        yield
    finally:
        _local.bypass = False


def shares(user: Any, group: Any) -> bool:
    """Whether this reader's page is the shared layer plus their personal one."""
    return (
        not getattr(_local, "bypass", False)
        and current_app.config.get("ARTICLE_CACHE", True)
        and permissions.sees_the_shared_layer(user, group)
    )


def _build_id() -> str:
    """Names this code: a deploy that changes a template or module changes every ETag.

    From the files' contents (not their times), so every instance of one release agrees and
    a reader moving between them still gets 304s.
    """
    digest = hashlib.sha256()
    for folder, pattern in ((ROOT / "templates", "*.html"), (ROOT / "app", "*.py")):
        for path in sorted(folder.rglob(pattern)):
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:10]


_BUILD: list[str] = []


def build_id() -> str:
    if not _BUILD:
        _BUILD.append(_build_id())
    return _BUILD[0]


def key_for(
    article: Article, group: Any = None, sort: str | None = None, now: float | None = None
) -> Key:
    # created_at tells apart an article that reuses a deleted one's id (SQLite may).
    bucket = int((time.time() if now is None else now) // FRESH_SECONDS)
    discussion = (article.id, article.created_at.timestamp(), group.id if group else 0, sort or "")
    return (discussion, article.discussion_version, bucket)


def etag_for(key: Key) -> str:
    (article_id, created, group_id, sort), version, bucket = key
    return f"{build_id()}.{article_id}.{created:.6f}.{group_id}.{sort}.{version}.{bucket}"


@dataclass(frozen=True)
class Layers:
    """How to draw the article page's blocks: for everyone (the shared layer), and for this
    reader alone where their own notes look different to them (`apart`: those blocks' ids)."""

    shared: Callable[[], list[BlockView]]  # the blocks' views for permissions.Everyone
    own: Callable[[list[Place]], list[BlockView]]  # some blocks' views for the reader
    apart: frozenset[int] = frozenset()


def shared_article_page(
    article: Article, group: Any, sort: str | None, page: dict[str, Any], layers: Layers
) -> Response:
    """The article page as the shared layer plus the reader's own: the blocks from the cache
    (drawn and kept first if this version is not kept yet), the reader's own blocks drawn for
    them. An anonymous reader who has the page gets a 304."""
    key = key_for(article, group, sort)
    if current_user.is_authenticated:
        return _vary(make_response(_draw(key, page, layers)))
    return validated_page(etag_for(key), lambda: _draw(key, page, layers))


def anonymous_page(article: Article, draw: Callable[[], str]) -> Response:
    """Another anonymous reading page of the article (the paragraph page): not kept here, but
    validated by ETag and kept by shared proxies as the article page is."""
    digest = hashlib.sha256(request.full_path.encode()).hexdigest()[:12]
    return validated_page(f"{etag_for(key_for(article))}.{digest}", draw)


def validated_page(etag: str, draw: Callable[[], str | Response]) -> Response:
    """A page every anonymous reader gets alike: 304 when the reader has it, else drawn."""
    # A pending flashed message is drawn by this page: no 304 may swallow it, and no
    # validator goes with it (else the next conditional request would get it back as a 304).
    validated = "_flashes" not in session
    if validated and request.if_none_match.contains_weak(etag):
        response = make_response("", 304)
    else:
        response = make_response(draw())
    if validated:
        response.set_etag(etag, weak=True)
        # Any cache may keep it: a proxy for SHARED_SECONDS, a browser revalidating each time.
        response.cache_control.public = True
        response.cache_control.max_age = 0
        response.cache_control.s_maxage = SHARED_SECONDS
    return _vary(response)


def _vary(response: Response) -> Response:
    response.vary.add("Cookie")  # the same URL is another page once signed in
    return response


def _draw(key: Key, page: dict[str, Any], layers: Layers) -> Response:
    shared = fragments.get(key)
    if shared is None:
        drawn = tuple(Part(_block_html(v, page), Place.of(v)) for v in layers.shared())
        shared = fragments.put(key, Shared(drawn, current_app.config["COMPRESS_LEVEL"]))
    drawn_page = render_template(PAGE_TEMPLATE, views=(), blocks_html=BLOCKS_MARK, **page)
    head, _, tail = drawn_page.partition(BLOCKS_MARK)
    if not layers.apart:
        return gzipped.page_response(request, head, shared.deflated, tail, shared.level)
    html = [part.html for part in shared.parts]
    at = {part.place.block.id: i for i, part in enumerate(shared.parts)}
    places = [part.place for part in shared.parts if part.place.block.id in layers.apart]
    for view in layers.own(places):
        html[at[view.block.id]] = _block_html(view, page)
    return make_response("".join((head, *html, tail)))


def _block_html(view: BlockView, page: dict[str, Any]) -> Markup:
    draw = get_template_attribute("articles/_block.html", "block_section")
    html: Markup = draw(view, page["article"])  # a macro's output is Markup, escaped within
    return html
