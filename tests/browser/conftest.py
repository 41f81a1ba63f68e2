"""A live server on the test database and a headless Chromium driven by Playwright."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

if not CHROMIUM.exists():
    pytest.skip(
        f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
        allow_module_level=True,
    )

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")

# Collects what the page itself reports: Content-Security-Policy violations.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture(scope="module")
def live_server(app: Flask) -> Iterator[str]:
    """The app served on a free port in a thread, with CSRF protection on as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page with its console errors and CSP violations recorded."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on(
            "console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None
        )
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def problems(self) -> list[str]:
        csp = self.page.evaluate("window.__csp || []")
        return self.errors + [f"CSP: {v}" for v in csp]


@pytest.fixture
def open_page(browser: Any, live_server: str) -> Iterator[Any]:
    """`open_page(js=True)` → a Watched page in a fresh browser context."""
    contexts: list[Any] = []

    def opener(js: bool = True, width: int = 1280) -> Watched:
        context = browser.new_context(
            base_url=live_server,
            java_script_enabled=js,
            viewport={"width": width, "height": 900},
        )
        context.set_default_timeout(5000)
        if js:
            context.add_init_script(WATCH_CSP)
        contexts.append(context)
        return Watched(context.new_page())

    yield opener
    for context in contexts:
        context.close()
