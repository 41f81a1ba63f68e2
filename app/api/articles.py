"""GET /articles and /articles/<slug>: what there is to read, with discussion counts."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from app.api.auth import caller
from app.api.inputs import query_args
from app.api.openapi import operation
from app.api.pagination import PageQuery, split_page
from app.api.presenters import (
    present_article,
    present_article_revision,
    present_article_summary,
    present_page,
)
from app.api.schemas import ArticleOut, ArticlePage, ArticleQuery
from app.loaders import load_article
from app.services import reading, revisions

bp = Blueprint("articles", __name__)


@bp.get("/articles")
@operation(
    "The articles, in the order they were added, with the caller's annotation counts.",
    "articles",
    {200: ArticlePage},
    query=PageQuery,
)
def list_articles() -> ResponseReturnValue:
    query = query_args(PageQuery)
    rows = reading.list_articles_after(caller(), query.cursor, query.limit + 1)
    shown, next_cursor = split_page(rows, query.limit, key=lambda summary: summary.article.id)
    return present_page(map(present_article_summary, shown), next_cursor)


@bp.get("/articles/<slug>")
@operation(
    "One article with its blocks in reading order and what the caller may see of each.",
    "articles",
    {200: ArticleOut},
    query=ArticleQuery,
    description="`?revision=N` shows an earlier revision, read-only, without discussion counts.",
)
def get_article(slug: str) -> ResponseReturnValue:
    query = query_args(ArticleQuery)
    article = load_article(slug)
    if query.revision is not None and query.revision != article.revision:
        return present_article_revision(article, revisions.get_revision(article, query.revision))
    blocks = reading.list_blocks(article)
    return present_article(article, blocks, reading.block_counts(caller(), article))
