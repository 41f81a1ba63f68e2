"""`make scaleout`'s nginx: it caches what the app's headers call public and nothing a signed-in
reader asked for, revalidates with the app's ETag, and forwards what ProxyFix reads; and the
section of bench/results.md the run writes.

Against a fake upstream that speaks the app's caching contract (not the app: the end-to-end run
with PostgreSQL, Redis and two gunicorn instances is `make scaleout`). About three seconds;
skipped where nginx is not installed.
"""

from __future__ import annotations

import gzip
import http.client
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.nginx_conf import NginxSite, render
from bench.scaleout import find_command, free_port, wait_for_port
from bench.scaleout_report import END, START, write

NGINX = find_command("nginx")
MAX_AGE = 1  # the fake's s-maxage: the revalidation test waits this long


class FakeApp(BaseHTTPRequestHandler):
    """Answers like Counterpoint: public + s-maxage + ETag + Vary: Cookie for anonymous pages,
    private for anything signed in. Counts what reached it."""

    hits: dict[str, int] = {}
    seen: list[dict[str, str]] = []
    versions: dict[str, int] = {}  # per page: a write raises it

    def log_message(self, *_: object) -> None:  # quiet
        pass

    def _answer(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path
        FakeApp.hits[path] = FakeApp.hits.get(path, 0) + 1
        FakeApp.seen.append({k.lower(): v for k, v in self.headers.items()} | {"path": path})
        version = FakeApp.versions.setdefault(path, 1)
        etag = f'W/"v{version}"'
        signed_in = "session=" in self.headers.get("Cookie", "")
        public = {
            "Cache-Control": f"public, max-age=0, s-maxage={MAX_AGE}",
            "ETag": etag,
            "Vary": "Cookie",
            "Content-Type": "text/html; charset=utf-8",
        }
        if path == "/articles/leaky" and signed_in:
            # A wrong header on a signed-in page: nginx must still keep it to this reader.
            self._answer(200, public, b"private page of a signed-in reader")
            return
        if path in ("/articles/a", "/articles/a/p/x", "/articles/changed", "/articles/leaky"):
            if self.headers.get("If-None-Match") == etag:
                self._answer(304, {k: v for k, v in public.items() if k != "Content-Type"})
                return
            body = f"v{version} #{FakeApp.hits[path]} ".encode() * 400  # over gzip_min_length
            self._answer(200, public, body)
        elif path == "/articles/sets-cookie":
            self._answer(200, public | {"Set-Cookie": "session=new; HttpOnly"}, b"x")
        elif path in ("/articles/private", "/articles/a/version"):
            private = {"Cache-Control": "private, no-cache", "ETag": '"v1"'}
            if self.headers.get("If-None-Match") == '"v1"':
                self._answer(304, private)
                return
            self._answer(200, private, b'{"version": 1}')
        elif path in ("/echo", "/articles/echo", "/articles/a/notes"):
            self._answer(200, {"Cache-Control": "no-store"}, json.dumps(FakeApp.seen[-1]).encode())
        else:
            self._answer(404, {})

    do_HEAD = do_GET

    def do_POST(self) -> None:
        FakeApp.hits["POST"] = FakeApp.hits.get("POST", 0) + 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer(201, {"Cache-Control": "public, s-maxage=60"}, b"created")


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if NGINX is None:
        pytest.skip("nginx is not installed")
    FakeApp.hits.clear()
    FakeApp.seen.clear()
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), FakeApp)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = free_port()
    site = NginxSite(
        prefix=tmp_path_factory.mktemp("nginx"),
        listen=f"127.0.0.1:{port}",
        upstreams=[f"127.0.0.1:{upstream.server_address[1]}"],
        access_log=False,
    )
    site.write()
    command = [NGINX, *site.command()[1:]]
    process = subprocess.Popen(command, stderr=subprocess.PIPE)  # noqa: S603 - a fixed list
    try:
        wait_for_port(port, 10, process)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()
        upstream.shutdown()
        upstream.server_close()


def get(
    where: str, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection(where, timeout=10)
    conn.request(method, path, body=b"{}" if method == "POST" else None, headers=headers or {})
    response = conn.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    conn.close()
    return response


def test_the_config_names_every_path_nginx_writes_under_its_prefix(tmp_path: Path) -> None:
    site = NginxSite(tmp_path, "127.0.0.1:1", ["127.0.0.1:2", "127.0.0.1:3"])
    text = render(site)
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        assert f"{kind}_temp_path {tmp_path}/temp/" in text
    assert f"pid {tmp_path}/nginx.pid;" in text
    assert "server 127.0.0.1:2 " in text
    assert "server 127.0.0.1:3 " in text
    assert "/var/" not in text


def test_an_anonymous_page_is_kept_for_s_maxage(proxy: str) -> None:
    first = get(proxy, "/articles/a")
    second = get(proxy, "/articles/a")
    assert first.getheader("X-Cache-Status") == "MISS"
    assert second.getheader("X-Cache-Status") == "HIT"
    assert second.body == first.body  # type: ignore[attr-defined]
    assert FakeApp.hits["/articles/a"] == 1
    get(proxy, "/articles/a/p/x")
    assert get(proxy, "/articles/a/p/x").getheader("X-Cache-Status") == "HIT"
    # Other pages under /articles/ never meet the cache (nor its lock).
    assert get(proxy, "/articles/a/notes").getheader("X-Cache-Status") is None


def test_after_s_maxage_nginx_revalidates_with_the_apps_etag(proxy: str) -> None:
    get(proxy, "/articles/a")
    get(proxy, "/articles/changed")
    FakeApp.versions["/articles/changed"] = 2  # a write: its page has a new ETag now
    # nginx counts whole seconds: a copy kept for s-maxage=1 is stale after at most 2.
    time.sleep(MAX_AGE + 1.05)
    same = get(proxy, "/articles/a")
    assert same.getheader("X-Cache-Status") == "REVALIDATED"
    assert FakeApp.seen[-1]["if-none-match"] == 'W/"v1"'
    changed = get(proxy, "/articles/changed")
    assert changed.getheader("X-Cache-Status") == "EXPIRED"
    assert changed.body.startswith(b"v2 ")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "headers",
    [
        {"Cookie": "theme=dark; session=abc"},
        {"Cookie": "remember_token=1|abc"},
        {"Authorization": "Bearer t0ken"},
    ],
)
def test_a_signed_in_request_is_neither_served_from_nor_stored_in_the_cache(
    proxy: str, headers: dict[str, str]
) -> None:
    get(proxy, "/articles/leaky")  # an anonymous copy is in the cache
    mine = get(proxy, "/articles/leaky", headers)
    assert mine.getheader("X-Cache-Status") == "BYPASS"
    anonymous = get(proxy, "/articles/leaky")
    assert anonymous.getheader("X-Cache-Status") in ("HIT", "REVALIDATED")
    assert b"signed-in" not in anonymous.body  # type: ignore[attr-defined]


def test_private_answers_posts_and_set_cookie_are_never_kept(proxy: str) -> None:
    for path in ("/articles/private", "/articles/sets-cookie"):
        assert get(proxy, path).getheader("X-Cache-Status") == "MISS"
        assert get(proxy, path).getheader("X-Cache-Status") == "MISS"
    get(proxy, "/articles/anything", method="POST")
    get(proxy, "/articles/anything", method="POST")
    assert FakeApp.hits["POST"] == 2


def test_the_app_gets_proxyfix_headers_and_plain_bodies_that_nginx_gzips(proxy: str) -> None:
    cached = json.loads(get(proxy, "/articles/echo", {"Accept-Encoding": "gzip"}).body)  # type: ignore[attr-defined]
    assert cached["x-forwarded-for"] == "127.0.0.1"
    assert cached["x-forwarded-proto"] == "http"
    assert cached["x-forwarded-host"] == proxy
    assert cached["host"] == "127.0.0.1"
    assert "accept-encoding" not in cached  # one cached copy, compressed on the way out
    page = get(proxy, "/articles/a", {"Accept-Encoding": "gzip"})
    assert page.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(page.body).startswith(b"v")  # type: ignore[attr-defined]
    elsewhere = json.loads(get(proxy, "/echo", {"Accept-Encoding": "gzip"}).body)  # type: ignore[attr-defined]
    assert elsewhere["accept-encoding"] == "gzip"  # uncached: the app compresses
    assert elsewhere["x-forwarded-host"] == proxy


def test_live_readers_polls_keep_their_304(proxy: str) -> None:
    """A cached location would swap the reader's If-None-Match for its own; /version is not one."""
    poll = get(proxy, "/articles/a/version", {"If-None-Match": '"v1"'})
    assert poll.status == 304
    assert poll.getheader("X-Cache-Status") is None


def _facts(cache: dict[str, int]) -> dict[str, object]:
    run = {"connections": 8, "rps": 100.0, "p50_ms": 1.0, "p99_ms": 2.0, "expect": 200}
    return {
        "date": "2026-11-30 08:00 UTC",
        "loadavg": [0.5, 0.6],
        "seconds": 10,
        "total_s": 120,
        "postgres": "PostgreSQL 15",
        "redis": "Redis 7",
        "seeded": {"users": 50, "annotations": 200},
        "round_robin": {"instance A": 10, "instance B": 10},
        "fresh": {"anchor": "p-x", "before_cache": ["MISS", "HIT"], "seen": []},
        "runs": [
            run | {"key": "anon_nginx", "label": "through nginx", "statuses": {"200": 10},
                   "cache": cache},
            run | {"key": "anon_direct", "label": "direct", "statuses": {"200": 5, "500": 1},
                   "cache": {}},
        ],
    }  # fmt: skip


def test_the_report_replaces_only_its_own_section_and_says_whether_nginx_cached(
    tmp_path: Path,
) -> None:
    results = tmp_path / "results.md"
    results.write_text(f"# Results\n\nkept\n\n{START}\nold\n{END}\n\nalso kept\n")
    write(results, _facts({"HIT": 9, "MISS": 1}))
    text = results.read_text()
    assert text.startswith("# Results\n\nkept\n")
    assert text.endswith("also kept\n")
    assert "old" not in text
    assert "90.0% of the anonymous article page's requests from its cache" in text
    assert "**500 ×1**" in text  # an answer other than the expected one stands out
    write(results, _facts({"MISS": 10}))
    assert "nginx cached **none** of the anonymous article page" in results.read_text()
    assert results.read_text().count(START) == 1
