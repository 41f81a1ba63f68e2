"""Slugs and block anchors: ASCII, URL-safe, made once from content and never recomputed."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

from app.importing.draft import HEADING

ANCHOR_WORDS = 3
MAX_ANCHOR = 48
MAX_SUGGESTED_SLUG = 80


def slug_words(text: str) -> list[str]:
    """The lowercase ASCII words of `text`: accents folded, apostrophes dropped ("Russia's")."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.findall(r"[a-z0-9]+", folded.lower().replace("'", ""))


def join_words(words: list[str], limit: int) -> str:
    """Words joined by dashes, cut at a word boundary to at most `limit` characters."""
    joined = ""
    for word in words:
        candidate = f"{joined}-{word}" if joined else word
        if len(candidate) > limit:
            return joined or word[:limit]
        joined = candidate
    return joined


def suggest_slug(title: str) -> str:
    return join_words(slug_words(title), MAX_SUGGESTED_SLUG)


# Blocks of other kinds than paragraphs say so in their anchors ("li-...", "row-...").
PREFIXES = {HEADING: "h", "item": "li", "quote": "q", "code": "code", "row": "row",
            "caption": "fig", "note": "note"}  # fmt: skip


def anchor_base(kind: str, text: str) -> str:
    """ "p-dmitri-trenin-director", "h-can-personal-animosity": a prefix and the first words."""
    prefix = PREFIXES.get(kind, "p")
    return join_words([prefix, *slug_words(text)[:ANCHOR_WORDS]], MAX_ANCHOR)


def unique_anchor(base: str, taken: Collection[str]) -> str:
    """`base`, or `base-2`, `base-3`, ... whichever is not taken yet."""
    anchor, n = base, 1
    while anchor in taken:
        n += 1
        anchor = f"{base}-{n}"
    return anchor
