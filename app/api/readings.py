"""Readings: add an article, revise it, read its revisions and the health of its anchors."""

from __future__ import annotations

from flask import Blueprint, url_for
from flask.typing import ResponseReturnValue

from app import permissions, throttle
from app.api.auth import require_user
from app.api.inputs import json_body, query_args
from app.api.openapi import operation
from app.api.pagination import PageQuery, split_page
from app.api.presenters import (
    present_annotation,
    present_article,
    present_health,
    present_page,
    present_report,
    present_revision,
)
from app.api.schemas import (
    AnchorIn,
    AnnotationOut,
    ArticleCreate,
    ArticleOut,
    HealthOut,
    RevisionCreate,
    RevisionCreated,
    RevisionPage,
)
from app.extensions import db, limiter
from app.loaders import load_article
from app.services import annotations, articles, reading, revisions
from app.services.errors import Forbidden
from app.uploads import takes_article

bp = Blueprint("readings", __name__)


@bp.post("/articles")
@limiter.limit(throttle.WRITE_RATE, key_func=throttle.user_or_address)
@operation(
    "Add an article from Markdown, plain text or HTML; site instructors and admins.",
    "articles",
    {201: ArticleOut},
    auth="required",
    body=ArticleCreate,
    errors=(403, 409, 429),
    headers={201: {"Location": "The new article's URL."}},
    description="The same import as `flask articles import`. A slug in use is a 409.",
)
@takes_article
def add_article() -> ResponseReturnValue:
    user = require_user()
    data = json_body(ArticleCreate)
    if not permissions.can_add_article(user):
        raise Forbidden("Only instructors and admins add articles.")
    draft = articles.read_source(data.source, data.markup)
    article = articles.add_article(user, draft, data.slug).article
    db.session.commit()
    body = present_article(article, reading.list_blocks(article), {})
    return body, 201, {"Location": url_for("api.articles.get_article", slug=article.slug)}


@bp.post("/articles/<slug>/revisions")
@limiter.limit(throttle.WRITE_RATE, key_func=throttle.user_or_address)
@operation(
    "Replace the article's text with a new revision; its owner or an admin.",
    "articles",
    {201: RevisionCreated},
    auth="required",
    body=RevisionCreate,
    errors=(403, 409, 429),
    description=(
        "Blocks that continue keep their anchors; every annotation follows its words or is "
        "orphaned (never deleted). A revision that would orphan more than half of them is a "
        "409 unless `force` is true. Nothing is applied when it fails."
    ),
)
@takes_article
def revise_article(slug: str) -> ResponseReturnValue:
    user = require_user()
    data = json_body(RevisionCreate)
    article = load_article(slug)
    if not permissions.can_revise_article(user, article):
        raise Forbidden("Only the article's owner or an admin revises it.")
    draft = articles.read_source(data.source, data.markup)
    summary = articles.revise_article(user, article, draft, force=data.force)
    db.session.commit()
    return {"revision": summary.revision, "report": present_report(summary.report)}, 201


@bp.get("/articles/<slug>/revisions")
@operation(
    "The article's revisions, newest first, each with its anchor health report.",
    "articles",
    {200: RevisionPage},
    query=PageQuery,
)
def list_revisions(slug: str) -> ResponseReturnValue:
    query = query_args(PageQuery)
    article = load_article(slug)
    rows = revisions.list_revisions(article, query.cursor, query.limit + 1)
    shown, next_cursor = split_page(rows, query.limit, key=lambda r: r.number)
    return present_page(map(present_revision, shown), next_cursor)


@bp.get("/articles/<slug>/health")
@operation(
    "The current revision's report and the orphaned annotations the caller may see.",
    "articles",
    {200: HealthOut},
    auth="required",
    errors=(403,),
    description="For the article's owner, an admin, or an instructor of a group reading it.",
)
def article_health(slug: str) -> ResponseReturnValue:
    user = require_user()
    article = load_article(slug)
    if not permissions.can_view_health(user, article):
        raise Forbidden("Only the owner, an admin or a group's instructor sees this report.")
    orphans = revisions.list_orphans(user, article)
    return present_health(revisions.latest_revision(article), orphans, user)


@bp.post("/annotations/<id:annotation_id>/anchor")
@limiter.limit(throttle.WRITE_RATE, key_func=throttle.user_or_address)
@operation(
    "Re-attach an annotation's thread to a block of the current text (an orphan, usually).",
    "annotations",
    {200: AnnotationOut},
    auth="required",
    body=AnchorIn,
    errors=(403, 429),
    description="Its author, a moderator of its group, or the article's owner.",
)
def reattach_annotation(annotation_id: int) -> ResponseReturnValue:
    user = require_user()
    data = json_body(AnchorIn)
    annotation = annotations.get_annotation(user, annotation_id)
    if not permissions.can_reattach_annotation(user, annotation, annotation.article):
        raise Forbidden("Only its author, a group instructor or the article's owner moves it.")
    quote = (data.quote.exact, data.quote.prefix, data.quote.suffix) if data.quote else None
    revisions.reattach_annotation(annotation, annotation.article, data.anchor, quote)
    body = present_annotation(annotation, user)
    db.session.commit()
    return body
