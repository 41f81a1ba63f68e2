"""The article page's note tools and composer, drawn once per discussion per worker.

Every signed-in reader of a discussion's shared layer gets the same two `<template>`s, which
the page's script clones into notes and paragraphs. They differ from reader to reader only in
the CSRF token and in the form nonce, which is new at each drawing. So they are drawn once
with stand-ins for those two, and each page puts its own in with a string replace: a few
microseconds, against ~0.4 ms to draw them (most of what drawing the page around the kept
blocks costs). tests/functional/web/test_shared_layer.py checks the page is the same as one
drawn in full, token and nonce aside.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

from flask import render_template
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app.idempotency import form_nonce

TEMPLATE = "articles/_reader_tools.html"
# Stand-ins no drawn text can hold: random, and drawn only here.
_TOKEN = f"token-{secrets.token_hex(16)}"
_NONCE = f"nonce-{secrets.token_hex(16)}"
_MAX_KEPT = 512  # discussions (public, and each group's), twice: posting open or closed

_kept: dict[tuple[Any, ...], Markup] = {}
_lock = threading.Lock()


def reader_tools(group: Any, closed: bool) -> Markup:
    """The tools for a reader of this discussion, with their token and a new nonce."""
    key = (group.id, group.slug, group.name) if group is not None else (None,)
    drawn = _kept.get((*key, closed))
    if drawn is None:
        drawn = _draw(group, closed)
        with _lock:
            if len(_kept) >= _MAX_KEPT:
                _kept.clear()  # a rename leaves old keys behind; starting over is cheap
            _kept[(*key, closed)] = drawn
    # Markup.replace escapes what it puts in, so the token and nonce arrive escaped.
    return drawn.replace(_TOKEN, generate_csrf()).replace(_NONCE, form_nonce())


def _draw(group: Any, closed: bool) -> Markup:
    drawn = render_template(
        TEMPLATE,
        group=group,
        closed=closed,
        csrf_token=lambda: _TOKEN,  # shadow the globals for this one drawing
        form_nonce=lambda: _NONCE,
    )
    # Our own autoescaped template: Jinja has already escaped every value it drew.
    return Markup(drawn)  # noqa: S704  # nosec B704


def forget() -> None:
    """Drop what is kept (tests that change the templates' inputs)."""
    with _lock:
        _kept.clear()
