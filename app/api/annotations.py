"""Annotations: list and post on an article, then read, edit and delete one by id."""

from __future__ import annotations

from operator import attrgetter

from flask import Blueprint, url_for
from flask.typing import ResponseReturnValue

from app import throttle
from app.api.auth import caller, require_user
from app.api.inputs import json_body, query_args
from app.api.openapi import operation
from app.api.pagination import split_page
from app.api.presenters import present_annotation, present_page
from app.api.schemas import (
    AnnotationCreate,
    AnnotationFilters,
    AnnotationOut,
    AnnotationUpdate,
    ArticleAnnotationPage,
)
from app.api.search import search_page
from app.extensions import db, limiter
from app.loaders import load_article, load_article_with_block
from app.models import Annotation
from app.services import annotations, helpful, reading, search
from app.services.annotations import NewAnnotation, Quote

bp = Blueprint("annotations", __name__)
ONE = "/annotations/<id:annotation_id>"


@bp.get("/articles/<slug>/annotations")
@operation(
    "The article's annotations the caller may know of, oldest first, filtered.",
    "annotations",
    {200: ArticleAnnotationPage},
    query=AnnotationFilters,
    description=(
        "Hidden and deleted annotations appear as placeholders (`body` null) so threads "
        "keep their shape. `group` narrows to one reading group's discussion (a group the "
        "caller is not in matches nothing). With `q`, a full-text search within the article "
        "(as `GET /search`): visible bodies only, best match first, each with a `snippet`. "
        "An unknown query parameter is a 422."
    ),
)
def list_annotations(slug: str) -> ResponseReturnValue:
    query = query_args(AnnotationFilters)
    article = load_article(slug)
    user = caller()
    if query.q is not None:
        found = search.SearchFilter(
            article.slug, query.anchor, query.kind, query.author, query.group
        )
        return search_page(user, query.q, found, query.cursor or 0, query.limit)
    where = reading.AnnotationFilter(query.anchor, query.kind, query.author, query.group)
    if query.sort is None:
        rows = reading.list_annotations(user, article, where, query.cursor, query.limit + 1)
    else:
        # Sorted lists are one article's notes, ordered in memory; the cursor names the last
        # note shown, so the next page starts after it wherever the order puts it.
        ordered = reading.sort_notes(reading.list_annotations(user, article, where), query.sort)
        rows = _after(ordered, query.cursor)[: query.limit + 1]
    shown, next_cursor = split_page(rows, query.limit, key=attrgetter("id"))
    marked = helpful.marked_ids(user, (a.id for a in shown))
    return present_page((present_annotation(a, user, marked) for a in shown), next_cursor)


def _after(ordered: list[Annotation], cursor: int | None) -> list[Annotation]:
    if cursor is None:
        return ordered
    for index, note in enumerate(ordered):
        if note.id == cursor:
            return ordered[index + 1 :]
    return []


@bp.post("/articles/<slug>/annotations")
@limiter.limit(throttle.WRITE_RATE, key_func=throttle.user_or_address)
@operation(
    "Annotate a block of the article, or reply to an annotation on it.",
    "annotations",
    {201: AnnotationOut},
    auth="required",
    body=AnnotationCreate,
    errors=(403, 409, 429),
    headers={201: {"Location": "The new annotation's URL."}},
)
def post_annotation(slug: str) -> ResponseReturnValue:
    user = require_user()
    data = json_body(AnnotationCreate)
    # The article and the block posted to, in one query (an unknown anchor: the service's 422).
    article, block = load_article_with_block(slug, data.anchor)
    quote = Quote(**data.quote.model_dump()) if data.quote is not None else None
    new = NewAnnotation(
        data.anchor, data.kind, data.body, data.parent, quote, data.private, data.group
    )
    annotation = annotations.post_annotation(user, article, new, block)
    # Everything the response shows is known once the row is flushed; presenting before the
    # commit spares re-reading it (the commit expires the object).
    body = present_annotation(annotation, user, frozenset())  # nobody marked it yet
    db.session.commit()
    location = url_for("api.annotations.get_annotation", annotation_id=body["id"])
    return body, 201, {"Location": location}


@bp.get(ONE)
@operation("One annotation.", "annotations", {200: AnnotationOut})
def get_annotation(annotation_id: int) -> ResponseReturnValue:
    user = caller()
    return present_annotation(annotations.get_annotation(user, annotation_id), user)


@bp.patch(ONE)
@limiter.limit(throttle.WRITE_RATE, key_func=throttle.user_or_address)
@operation(
    "Change an annotation's body and/or kind; its author only.",
    "annotations",
    {200: AnnotationOut},
    auth="required",
    body=AnnotationUpdate,
    errors=(403, 409, 429),
)
def edit_annotation(annotation_id: int) -> ResponseReturnValue:
    user = require_user()
    data = json_body(AnnotationUpdate)
    annotation = annotations.get_annotation(user, annotation_id)
    annotations.edit_annotation(user, annotation, body=data.body, kind=data.kind)
    db.session.commit()
    return present_annotation(annotations.get_annotation(user, annotation_id), user)


@bp.delete(ONE)
@limiter.limit(throttle.WRITE_RATE, key_func=throttle.user_or_address)
@operation(
    "Delete an annotation (it stays as a placeholder); its author or a moderator.",
    "annotations",
    {204: None},
    auth="required",
    errors=(403, 409, 429),
    description="Deleting it again is a 409. A moderator's delete is logged and undone with "
    "the `restore` moderation action.",
)
def delete_annotation(annotation_id: int) -> ResponseReturnValue:
    user = require_user()
    annotations.delete_annotation(user, annotations.get_annotation(user, annotation_id))
    db.session.commit()
    return "", 204


@bp.post(f"{ONE}/helpful")
@limiter.limit(throttle.WRITE_RATE, key_func=throttle.user_or_address)
@operation(
    "Mark an annotation as helpful to you; once per reader, never your own.",
    "annotations",
    {200: AnnotationOut},
    auth="required",
    errors=(403, 409, 429),
    description="Marking it again changes nothing. Your own annotation is a 403; a hidden, "
    "held or deleted one a 409.",
)
def mark_helpful(annotation_id: int) -> ResponseReturnValue:
    user = require_user()
    annotation = annotations.get_annotation(user, annotation_id)
    helpful.mark_helpful(user, annotation)
    body = present_annotation(annotation, user, frozenset({annotation.id}))
    db.session.commit()
    return body


@bp.delete(f"{ONE}/helpful")
@limiter.limit(throttle.WRITE_RATE, key_func=throttle.user_or_address)
@operation(
    "Take back your helpful mark (nothing changes if you had none).",
    "annotations",
    {200: AnnotationOut},
    auth="required",
    errors=(429,),  # whoever may see the note may take their own mark back: never a 403
)
def unmark_helpful(annotation_id: int) -> ResponseReturnValue:
    user = require_user()
    annotation = annotations.get_annotation(user, annotation_id)
    helpful.unmark_helpful(user, annotation)
    body = present_annotation(annotation, user, frozenset())
    db.session.commit()
    return body
