"""In a real Chromium no payload runs: no dialog opens and the window.__xss sentinel stays unset.

The same payloads and fields as test_xss.py (sources in xss_payloads.txt). For each field the
pages that show all of its payloads are found by a quick crawl, then each is loaded once, with
the CSP bypassed so that the sanitiser alone must hold (the CSP is checked on its own in
test_headers.py). Then a note holding every payload is posted in place, through the page's own
script, which inserts the server's fragment into the page.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from flask import Flask

from tests.browser import conftest as browser_fixtures
from tests.security.conftest import sign_in
from tests.security.payloads import load_payloads
from tests.security.xss_world import FIELDS, XssWorld, build_xss_world, crawl

pytestmark = pytest.mark.browser

live_server = browser_fixtures.live_server
browser = browser_fixtures.browser

# Before any page script: the sentinel's home, and dialogs that no payload may open.
TRAP = """
window.__xss = undefined;
window.print = () => { window.__xss = "print"; };
"""
SETTLE_MS = 200  # onerror, onload, ontoggle, onfocus and animation handlers fire by then


def _pages_per_field(app: Flask, world: XssWorld) -> dict[str, set[str]]:
    """{viewer: urls} covering every payload of every field, a few pages per field."""
    shown: dict[str, dict[tuple[str, str], set[str]]] = defaultdict(dict)
    for page in crawl(app, world, only={"author", "instructor", "named user"}, deep=False):
        for marker in page.scan.markers:
            shown[marker[1]].setdefault((page.viewer, page.url), set()).add(marker)
    wanted: dict[str, set[str]] = defaultdict(set)
    for letter in FIELDS:
        # Greedy set cover: the page showing most of what is still missing, until none is.
        missing = {m for markers in shown[letter].values() for m in markers}
        assert len(missing) == len(load_payloads()), f"{FIELDS[letter]} not shown on any page"
        while missing:
            (viewer, url), markers = max(shown[letter].items(), key=lambda i: len(i[1] & missing))
            wanted[viewer].add(url)
            missing -= markers
    return wanted


def _context(browser: Any, live_server: str) -> Any:
    # The CSP would stop most payloads on its own; bypassed, the sanitiser must stop them all.
    context = browser.new_context(base_url=live_server, bypass_csp=True)
    context.set_default_timeout(10_000)
    context.add_init_script(TRAP)
    # Nothing leaves the test server: payloads point at xss.example, which must not be fetched.
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(live_server) else route.abort()
        ),
    )
    return context


def _sign_in(app: Flask, context: Any, live_server: str, username: str) -> None:
    """Sign in through the login form with the test client, and hand the browser the cookie."""
    client = sign_in(app.test_client(), username)
    cookie = client.get_cookie("session")
    assert cookie is not None
    context.add_cookies([{"name": "session", "value": cookie.value, "url": live_server}])


def _visit(page: Any, url: str, dialogs: list[str]) -> list[str]:
    """Load `url` and say what ran that should not have."""
    page.goto(url)
    page.wait_for_timeout(SETTLE_MS)
    problems = [f"dialog: {d}" for d in dialogs]
    dialogs.clear()
    if (sentinel := page.evaluate("window.__xss")) is not None:
        problems.append(f"window.__xss = {sentinel!r}")
    return problems


def test_no_payload_runs_in_a_real_browser(
    app: Flask, make, browser: Any, live_server: str
) -> None:
    world = build_xss_world(make)
    wanted = _pages_per_field(app, world)
    users = {v: name for v, (name, _) in world.viewers().items()}
    problems, loads = [], 0
    for viewer, urls in sorted(wanted.items()):
        context = _context(browser, live_server)
        _sign_in(app, context, live_server, users[viewer])
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d, seen=dialogs: (seen.append(d.message), d.dismiss()))
        for url in sorted(urls):
            loads += 1
            problems += [f"{url} as {viewer}: {p}" for p in _visit(page, url, dialogs)]
        if viewer == "author":
            problems += [f"posting in place: {p}" for p in _post_in_place(page, dialogs)]
        context.close()
    assert loads > 0
    assert not problems, "\n".join(problems)


def _post_in_place(page: Any, dialogs: list[str]) -> list[str]:
    """Post a note of every payload through the page's script, which inserts the fragment the
    server sends back (the same macro as the page) with innerHTML."""
    page.goto("/articles/bodies/p/p2")
    page.evaluate("window.__stayed = true")
    form = page.locator("form#new")
    form.locator("textarea[name=body]").fill("\n\n".join(p.block("b") for p in load_payloads()))
    form.locator("button[type=submit]").click()
    posted = page.locator("li.annotation.is-new")
    posted.wait_for()
    page.wait_for_timeout(SETTLE_MS)
    assert page.evaluate("window.__stayed"), "the page reloaded: the note was not posted in place"
    assert "xb100" in posted.locator(".annotation-body").inner_text()
    problems = [f"dialog: {d}" for d in dialogs]
    if (sentinel := page.evaluate("window.__xss")) is not None:
        problems.append(f"window.__xss = {sentinel!r}")
    return problems
