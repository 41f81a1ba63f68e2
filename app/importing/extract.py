"""Main-content extraction for saved web pages, with trafilatura.

trafilatura is made for this job (it tops the public extraction benchmarks, is maintained, and
reads title, author, date and canonical URL from <meta>, JSON-LD and <time> through htmldate).
It decides what is the article; our own reader still cuts the page into blocks, so inline
markup, anchors and the sanitiser stay exactly as for every other import. A block the extractor
left out is dropped with its reason shown in the preview, never silently.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import date

import trafilatura
from rapidfuzz import fuzz

# Below this, what the extractor found is too little to judge the page by: keep everything.
MIN_EXTRACTED_CHARS = 80
# A block is part of the article when its words are (nearly) all in the extracted text.
KEPT_LIKENESS = 90.0
SHORT_BLOCK = 40

logging.getLogger("trafilatura").setLevel(logging.ERROR)  # its warnings are not the user's
logging.getLogger("htmldate").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Extracted:
    """What the extractor found: the article's text and its metadata."""

    text: str
    title: str | None
    author: str | None
    published: date | None
    url: str | None

    def contains(self, block_text: str) -> bool:
        """Whether a block's words are part of the extracted article.

        Short blocks must occur exactly (a fuzzy match of a few words proves nothing); longer
        ones may differ a little (the extractor normalises quotes and spaces).
        """
        needle = _normal(block_text)
        if not needle:
            return False
        haystack = _normal(self.text)
        if needle in haystack:
            return True
        return len(needle) >= SHORT_BLOCK and fuzz.partial_ratio(needle, haystack) >= KEPT_LIKENESS


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def extract(source: str) -> Extracted | None:
    """The page's main content and metadata, or None when the extractor finds no article."""
    try:
        found = trafilatura.bare_extraction(
            source,
            with_metadata=True,
            include_tables=True,
            include_comments=False,
            include_images=False,
            favor_recall=True,
            deduplicate=False,
        )
    except (ValueError, TypeError, AttributeError):  # a page lxml cannot make a tree of
        return None
    if found is None:
        return None
    data = found.as_dict()
    text = data.get("text") or ""
    if len(text) < MIN_EXTRACTED_CHARS:
        return None
    return Extracted(
        text=text,
        title=_clean(data.get("title")),
        author=_clean(data.get("author")),
        published=parse_iso_date(data.get("date")),
        url=_clean(data.get("url")) or _json_ld_url(source),
    )


_JSON_LD = re.compile(
    r"<script[^>]*type=[\"']?application/ld\+json[\"']?[^>]*>(?P<body>.*?)</script>", re.I | re.S
)


def _json_ld_url(source: str) -> str | None:
    """The article's own address in its JSON-LD (`mainEntityOfPage`, else `url`), if any."""
    for match in _JSON_LD.finditer(source):
        try:
            data = json.loads(match["body"])
        except ValueError:
            continue
        for item in data if isinstance(data, list) else [data]:
            if not isinstance(item, dict):
                continue
            page = item.get("mainEntityOfPage")
            url = page.get("@id") if isinstance(page, dict) else page
            url = url if isinstance(url, str) else item.get("url")
            if isinstance(url, str) and url.startswith(("http://", "https://")):
                return url
    return None


def _clean(value: object) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text or None


def parse_iso_date(value: object) -> date | None:
    """The date an ISO 8601 string begins with (\"2024-03-05T10:00:00Z\"), if any."""
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", str(value or ""))
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
