"""Loading what a URL (or a body field) names, for the pages and the API alike: a 404 (or a
422 for a body field) when it does not exist or the reader may not know it does.

Also the one NUL rule: no slug, name or text this app takes holds a NUL character, which
PostgreSQL can neither store nor compare (a query with one fails as a database error).
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_login import current_user

from app.models import Article, Block, Group, User
from app.services import groups, reading, users
from app.services.errors import NotFound, ValidationFailed


def has_nul(*texts: str) -> bool:
    """Whether any of the texts holds a NUL character: refused wherever input comes in."""
    return any("\x00" in text for text in texts)


def _reader() -> Any:
    """Who is reading: the API's caller when the API has named one (a token speaks alone, and
    is looked up once), else Flask-Login's user (session or anonymous)."""
    if "api_caller" in g:
        return g.api_caller
    return current_user._get_current_object()  # type: ignore[attr-defined]


def load_article(slug: str) -> Article:
    """The article with this slug, or NotFound (404)."""
    if has_nul(slug):  # no slug holds one
        raise NotFound(f"No article {slug!r}.")
    return reading.get_article(slug)


def load_article_with_block(slug: str, anchor: str) -> tuple[Article, Block | None]:
    """The article (else NotFound) and its block with this anchor, if any, in one query."""
    if has_nul(slug):
        raise NotFound(f"No article {slug!r}.")
    return reading.get_article_with_block(slug, anchor)


def load_article_field(slug: str, field: str = "article") -> Article:
    """The article a request body names: an unknown slug is invalid input (422), not a 404."""
    try:
        return load_article(slug)
    except NotFound:
        raise ValidationFailed("No such article.", {field: f"No article {slug!r}."}) from None


def load_group(slug: str) -> Group:
    """The group, if the reader is in it (or an admin); NotFound (404) for everyone else."""
    if has_nul(slug):
        raise NotFound("No such group.")
    return groups.get_group(_reader(), slug)


def load_user(username: str) -> User:
    """The user with this username, or NotFound (404)."""
    user = None if has_nul(username) else users.get_user(username)
    if user is None:
        raise NotFound(f"No user {username!r}.")
    return user
