"""Writing the mails: subject, plain text and HTML from templates/mail/, links from PUBLIC_URL.

Links are built from the configured PUBLIC_URL, never from the Host header of the request that
caused the mail: a forged Host must not turn a reset link into one that points elsewhere.
(Mail is also written outside any request, by `flask mail send`, so app/links.py's fallback to
the request's vetted host does not apply here.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template

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
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return str(configured)
    server = current_app.config.get("SERVER_NAME")
    scheme = current_app.config.get("PREFERRED_URL_SCHEME", "http")
    return f"{scheme}://{server}" if server else DEFAULT_BASE_URL


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for a mail: PUBLIC_URL's host, whatever request (if any) is running."""
    parts = urlsplit(base_url())
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def render(name: str, subject: str, unsubscribe_url: str | None = None, **context: Any) -> Draft:
    """templates/mail/<name>.txt and <name>.html, drawn with the same context.

    The HTML part prints only what app/text.py stored (a note's body_html) and autoescaped
    names: no member's raw text reaches it.
    """
    context = {**context, "subject": one_line(subject), "unsubscribe_url": unsubscribe_url}
    text = render_template(f"mail/{name}.txt", **context)
    html = render_template(f"mail/{name}.html", **context)
    return Draft(one_line(subject), text, html, unsubscribe_url)
