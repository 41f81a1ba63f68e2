"""Full-text search over the annotations (and article text) the caller may see."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask.typing import ResponseReturnValue

from app.api.auth import caller
from app.api.inputs import query_args
from app.api.openapi import operation
from app.api.pagination import encode_cursor
from app.api.presenters import Json, present_passage, present_search_hit
from app.api.schemas import SearchPage, SearchQuery
from app.services import helpful, search

bp = Blueprint("search", __name__)


@bp.get("/search")
@operation(
    "Search the annotations the caller may see (and the articles' text), best match first.",
    "search",
    {200: SearchPage},
    query=SearchQuery,
    description=(
        "Words are matched by stem (`argue` finds `arguing`); quotes, `*`, `NEAR`, `AND` and "
        "`:` are read as plain text. Only bodies everyone in the discussion can read are "
        "searched: held, hidden and deleted ones never match. A query without words (empty, "
        "blank, punctuation alone) matches nothing; one over 200 characters, or an unknown "
        "query parameter, is a 422."
    ),
)
def search_annotations() -> ResponseReturnValue:
    query = query_args(SearchQuery)
    where = search.SearchFilter(
        article=query.article,
        kind=query.kind,
        author=query.author,
        group=query.group,
        since=query.since,
        until=query.until,
    )
    page = search_page(caller(), query.q, where, query.cursor or 0, query.limit)
    shown = []
    if not query.cursor and search.has_words(query.q):
        shown = search.search_passages(query.q, query.article)
    return {**page, "passages": [present_passage(p) for p in shown]}


def search_page(user: Any, q: str, where: search.SearchFilter, offset: int, limit: int) -> Json:
    """One page of search results; the cursor is the offset of the next (ranks are not keys)."""
    if not search.has_words(q):
        # Nothing to search for finds nothing: the document allows any text (see SearchText).
        return {"items": [], "next": None}
    hits = search.search_annotations(user, q, where, offset, limit + 1)
    shown = hits[:limit]
    marked = helpful.marked_ids(user, (h.annotation.id for h in shown))  # one query a page
    return {
        "items": [present_search_hit(h, user, marked) for h in shown],
        "next": encode_cursor(offset + limit) if len(hits) > limit else None,
    }
