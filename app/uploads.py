"""Larger request bodies for the views that take a whole article (the app's limit is 1 MiB)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, request

# 2 MiB of source (the import limit, app.services.articles.MAX_SOURCE) plus what JSON escaping
# or form encoding adds; the service refuses more than 2 MiB of text with a clear message.
MAX_ARTICLE_BODY = 3 * 1024 * 1024

F = TypeVar("F", bound=Callable[..., object])


def takes_article(view: F) -> F:
    """Mark a view that receives an article's source (decorate it first, under the route)."""
    view.takes_article = True  # type: ignore[attr-defined]
    return view


def body_limit(app: Flask, view: object) -> int | None:
    """The largest request body `view` accepts, in bytes (what the OpenAPI document says)."""
    if getattr(view, "takes_article", False):
        return MAX_ARTICLE_BODY
    limit: int | None = app.config.get("MAX_CONTENT_LENGTH")
    return limit


def init_app(app: Flask) -> None:
    # Registered before CSRF protection, which reads the form in its own before_request.
    app.before_request(_raise_limit)


def _raise_limit() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "takes_article", False):
        # Per-request limits (Flask 3.1): every other view keeps the 1 MiB default.
        request.max_content_length = MAX_ARTICLE_BODY
        request.max_form_memory_size = MAX_ARTICLE_BODY
