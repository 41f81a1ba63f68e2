"""Loading what a URL names, as a 404 when it does not exist."""

from __future__ import annotations

from app.models import Article
from app.services import reading
from app.services.errors import NotFound


def load_article(slug: str) -> Article:
    """The article with this slug, or NotFound (404)."""
    if "\x00" in slug:  # PostgreSQL cannot even compare it; no slug holds one
        raise NotFound(f"No article {slug!r}.")
    return reading.get_article(slug)
