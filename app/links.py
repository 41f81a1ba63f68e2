"""Absolute links to the app's own pages, built from PUBLIC_URL rather than the Host header."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for


def public_url_for(endpoint: str, **values: Any) -> str:
    """An absolute link to one of our pages (an invite link, a link in an e-mail).

    On the configured PUBLIC_URL when there is one; otherwise (development) on the host the
    request came to, which TRUSTED_HOSTS has already vetted.
    """
    base = current_app.config.get("PUBLIC_URL")
    if base:
        return str(base) + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
