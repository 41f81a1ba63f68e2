"""Private feedback on an annotation: instructors write it; its author and instructors read it."""

from __future__ import annotations

from operator import attrgetter

from flask import Blueprint
from flask.typing import ResponseReturnValue

from app.api.auth import require_user
from app.api.inputs import json_body, query_args
from app.api.openapi import operation
from app.api.pagination import PageQuery, split_page
from app.api.presenters import present_feedback, present_page
from app.api.schemas import FeedbackCreate, FeedbackOut, FeedbackPage
from app.extensions import db
from app.services import annotations, feedback

bp = Blueprint("feedback", __name__)
ONE = "/annotations/<id:annotation_id>/feedback"


@bp.post(ONE)
@operation(
    "Give the author private feedback on a group annotation; the group's instructors only.",
    "feedback",
    {201: FeedbackOut},
    auth="required",
    body=FeedbackCreate,
    errors=(403,),
    description="The author is notified. Public annotations and private notes take none (403).",
)
def give_feedback(annotation_id: int) -> ResponseReturnValue:
    user = require_user()
    data = json_body(FeedbackCreate)
    annotation = annotations.get_annotation(user, annotation_id)
    body = present_feedback(feedback.give_feedback(user, annotation, data.body))
    db.session.commit()
    return body, 201


@bp.get(ONE)
@operation(
    "The feedback on an annotation, oldest first: for its author and the group's instructors.",
    "feedback",
    {200: FeedbackPage},
    auth="required",
    query=PageQuery,
    errors=(403,),
    description="Anyone else who can see the annotation is refused (403).",
)
def list_feedback(annotation_id: int) -> ResponseReturnValue:
    user = require_user()
    query = query_args(PageQuery)
    annotation = annotations.get_annotation(user, annotation_id)
    rows = feedback.list_feedback(user, annotation, query.cursor, query.limit + 1)
    shown, next_cursor = split_page(rows, query.limit, key=attrgetter("id"))
    return present_page(map(present_feedback, shown), next_cursor)
