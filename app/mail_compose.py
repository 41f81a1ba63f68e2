"""Writing the mails: subject, plain text and HTML from templates/mail/, links from BASE_URL.

Links are built from the configured BASE_URL, never from the Host header of the request that
caused the mail: a forged Host must not turn a reset link into one that points elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_request_context, render_template, url_for

_LINE_BREAKS = re.compile(r"[\r\n\t\x0b\x0c\x85\u2028\u2029]+")
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


@dataclass(frozen=True)
class Draft:
    subject: str
    text: str
    html: str | None = None
    unsubscribe_url: str | None = None


def one_line(text: str, limit: int = 200) -> str:
    """Header-safe text: CR/LF and other breaks become spaces, so no header can be added."""
    return " ".join(_LINE_BREAKS.sub(" ", text).split())[:limit]


def base_url() -> str:
    configured = current_app.config.get("BASE_URL")
    if configured:
        return str(configured)
    server = current_app.config.get("SERVER_NAME")
    scheme = current_app.config.get("PREFERRED_URL_SCHEME", "http")
    return f"{scheme}://{server}" if server else DEFAULT_BASE_URL


@contextmanager
def _link_context() -> Iterator[None]:
    # A request context of its own, whether or not one is active: the links depend on
    # BASE_URL alone. (Inside a request, url_for would otherwise use that request's host.)
    with current_app.test_request_context(base_url=base_url()):
        yield


def external_url(endpoint: str, **values: Any) -> str:
    if has_request_context() and not current_app.config.get("BASE_URL"):
        # No BASE_URL: development, where the request's own host is the only one there is.
        return url_for(endpoint, _external=True, **values)
    with _link_context():
        return url_for(endpoint, _external=True, **values)


def render(name: str, subject: str, unsubscribe_url: str | None = None, **context: Any) -> Draft:
    """templates/mail/<name>.txt and <name>.html, drawn with the same context.

    The HTML part prints only what app/text.py stored (a note's body_html) and autoescaped
    names: no member's raw text reaches it.
    """
    context = {**context, "subject": one_line(subject), "unsubscribe_url": unsubscribe_url}
    text = render_template(f"mail/{name}.txt", **context)
    html = render_template(f"mail/{name}.html", **context)
    return Draft(one_line(subject), text, html, unsubscribe_url)
