"""The anonymous article page: HTTP validators (ETag, 304) and a per-worker cache of its discussion.

Every anonymous reader of an article's public discussion sees the same blocks, so that part of
the page (nearly all of its rendering and all but one of its queries) is drawn once per
discussion version and kept here. The rest of the page (header, flashed messages, CSRF meta
tag) is drawn per request. Correctness never rests on the cache: its key holds the article's
`discussion_version`, read from the database on every request and raised in the transaction
of every write (app/services/versions.py), so a changed discussion is a new key, never a stale
entry. Signed-in readers and group discussions are drawn afresh every time.

The cache lives in each worker process (a small LRU, bounded by entries and bytes): with N
gunicorn workers an article is drawn up to N times per version. Relative times ("5 minutes
ago") in a kept fragment are at most FRESH_SECONDS old: the key and the ETag both change then.
A restore (`flask restore`) moves versions back; reload the workers after one, or for up to a
minute a kept fragment could match a version number again.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import current_app, make_response, render_template, request, session
from markupsafe import Markup
from werkzeug.wrappers import Response

from app.models import Article

SHARED_TEMPLATE = "articles/_article_shared.html"
FRESH_SECONDS = 60
MAX_ENTRIES = 128
MAX_BYTES = 32 * 1024 * 1024
ROOT = Path(__file__).resolve().parent.parent.parent

Key = tuple[int, float, int, int]  # article id, created_at, discussion version, time bucket


class FragmentCache:
    """A thread-safe LRU of rendered HTML, bounded by entries and total size.

    Only the newest key per article is kept: once a version is superseded, its HTML can
    never be asked for again.
    """

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items: OrderedDict[Key, Markup] = OrderedDict()
        self._newest: dict[int, Key] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Key) -> Markup | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Key, html: Markup) -> Markup:
        size = len(html)
        if self.max_entries <= 0 or size > self.max_bytes:
            return html
        with self._lock:
            older = self._newest.get(key[0])
            if older is not None and older != key:
                self._drop(older)
            if key in self._items:
                self._drop(key)
            self._items[key] = html
            self._newest[key[0]] = key
            self._bytes += size
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                self._drop(next(iter(self._items)))
        return html

    def _drop(self, key: Key) -> None:
        html = self._items.pop(key, None)
        if html is not None:
            self._bytes -= len(html)
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


def is_shared(user: Any, group: Any) -> bool:
    """Whether the page is the one every anonymous reader gets: the public discussion."""
    return (
        group is None
        and not getattr(user, "is_authenticated", False)
        and not getattr(_local, "bypass", False)
        and current_app.config.get("ARTICLE_CACHE", True)
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


def key_for(article: Article, now: float | None = None) -> Key:
    # created_at tells apart an article that reuses a deleted one's id (SQLite may).
    bucket = int((time.time() if now is None else now) // FRESH_SECONDS)
    return (article.id, article.created_at.timestamp(), article.discussion_version, bucket)


def etag_for(key: Key) -> str:
    article_id, created, version, bucket = key
    return f"{build_id()}.{article_id}.{created:.6f}.{version}.{bucket}"


def shared_article_page(
    article: Article, page: dict[str, Any], views: Callable[[], list[Any]]
) -> Response:
    """The anonymous article page: 304 when the reader has it, else drawn around the cached
    discussion blocks (drawn and kept first if this version is not kept yet)."""
    key = key_for(article)
    etag = etag_for(key)
    # A pending flashed message is drawn by this page: no 304 may swallow it, and no
    # validator goes with it (else the next conditional request would get it back as a 304).
    validated = "_flashes" not in session
    if validated and request.if_none_match.contains_weak(etag):
        response = make_response("", 304)
    else:
        kept = fragments.get(key)
        if kept is None:

            def remember(html: Markup) -> Markup:
                return fragments.put(key, html)

            body = render_template(
                SHARED_TEMPLATE, views=views(), blocks_html=None, remember=remember, **page
            )
        else:
            body = render_template(SHARED_TEMPLATE, views=(), blocks_html=kept, **page)
        response = make_response(body)
    if validated:
        response.set_etag(etag, weak=True)
    # Revalidate every time (cheap: one query); the same URL differs once signed in.
    response.cache_control.no_cache = True
    response.vary.add("Cookie")
    return response
