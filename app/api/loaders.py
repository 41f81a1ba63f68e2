"""Loading what a URL (or a body field) names, as a 404 (or 422) when it does not exist."""

from __future__ import annotations

from app.api.auth import caller
from app.models import Article, Block, Group, User
from app.services import groups, reading, users
from app.services.errors import NotFound, ValidationFailed


def load_article(slug: str) -> Article:
    """The article with this slug, or NotFound (404)."""
    if "\x00" in slug:  # PostgreSQL cannot even compare it; no slug holds one
        raise NotFound(f"No article {slug!r}.")
    return reading.get_article(slug)


def load_article_with_block(slug: str, anchor: str) -> tuple[Article, Block | None]:
    """The article (else NotFound) and its block with this anchor, if any, in one query."""
    if "\x00" in slug:
        raise NotFound(f"No article {slug!r}.")
    return reading.get_article_with_block(slug, anchor)


def load_article_field(slug: str, field: str = "article") -> Article:
    """The article a request body names: an unknown slug is invalid input (422), not a 404."""
    try:
        return load_article(slug)
    except NotFound:
        raise ValidationFailed("No such article.", {field: f"No article {slug!r}."}) from None


def load_group(slug: str) -> Group:
    """The group, if the caller is in it (or an admin); NotFound (404) for everyone else."""
    if "\x00" in slug:
        raise NotFound("No such group.")
    return groups.get_group(caller(), slug)


def load_user(username: str) -> User:
    """The user with this username, or NotFound (404)."""
    user = None if "\x00" in username else users.get_user(username)
    if user is None:
        raise NotFound(f"No user {username!r}.")
    return user
