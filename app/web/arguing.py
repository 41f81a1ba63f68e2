"""Arguing from the pages: helpful marks, answers, the overview of where the argument is, and
all of an article's notes in one list."""

from __future__ import annotations

from flask import render_template, request, url_for
from werkzeug.wrappers import Response

from app import throttle
from app.extensions import limiter
from app.models import AnnotationKind, AnnotationStatus
from app.services import annotations, argument, groups, helpful, reading
from app.web.actions import back_to, require_user, run_action
from app.web.blueprint import bp, viewer
from app.web.forms import ToggleForm
from app.web.present import Viewing
from app.web.reading_scope import (
    discussion_scope,
    in_context,
    requested_sort,
    selected_group,
    switcher,
)


@bp.post("/annotations/<id:annotation_id>/helpful")
@limiter.limit(throttle.WRITE_RATE, key_func=throttle.user_or_address)
def mark_helpful(annotation_id: int) -> Response:
    user = require_user(back_to=url_for("web.annotation", annotation_id=annotation_id))
    note = annotations.get_annotation(user, annotation_id)
    form = ToggleForm()
    back = back_to(form, in_context(note))

    def act() -> str:
        if form.undo.data:
            helpful.unmark_helpful(user, note)
            return "Your helpful mark is taken back."
        helpful.mark_helpful(user, note)
        return "Marked as helpful."

    return run_action(form, act, back)


@bp.post("/annotations/<id:annotation_id>/answer")
@limiter.limit(throttle.WRITE_RATE, key_func=throttle.user_or_address)
def mark_answer(annotation_id: int) -> Response:
    user = require_user(back_to=url_for("web.annotation", annotation_id=annotation_id))
    reply = annotations.get_annotation(user, annotation_id)
    form = ToggleForm()
    back = back_to(form, in_context(reply))

    def act() -> str:
        annotations.mark_answer(user, reply, answers=not form.undo.data)
        return "No longer marked as the answer." if form.undo.data else "Marked as the answer."

    return run_action(form, act, back)


@bp.get("/articles/<slug>/overview")
def article_overview(slug: str) -> str:
    """The most contested blocks and the open questions of one discussion, with links."""
    user, article, group = viewer(), reading.get_article(slug), selected_group()
    scope = discussion_scope(group)
    return render_template(
        "articles/overview.html",
        article=article,
        group=group,
        overview=argument.overview(user, article, scope),
        switcher=switcher(article, group, "web.article_overview", slug=article.slug),
    )


@bp.get("/articles/<slug>/notes")
def article_notes(slug: str) -> tuple[str, int]:
    """Every note on the article the reader may see, in one list: filtered by kind, author and
    discussion, sorted, each opening in context (as Hypothesis's sidebar does)."""
    user, article = viewer(), reading.get_article(slug)
    kind, author = request.args.get("kind", ""), request.args.get("author", "").strip()
    where, sort = request.args.get("in", ""), requested_sort() or reading.Sort.DOCUMENT
    choices = groups.groups_reading(user, article) if user.is_authenticated else []
    error = None
    if kind and kind not in set(AnnotationKind):
        error, kind = f"There is no kind of note called “{kind}”.", ""
    if where not in ("", "public", *(g.slug for g in choices)):
        error, where = "You can only filter by a discussion you take part in.", ""
    found = reading.list_annotations(
        user,
        article,
        reading.AnnotationFilter(
            kind=kind or None,
            author=author or None,
            group=where if where not in ("", "public") else None,
        ),
    )
    shown = [
        a
        for a in found
        if a.status != AnnotationStatus.DELETED and (where != "public" or a.group_id is None)
    ]
    page = render_template(
        "articles/notes.html",
        article=article,
        notes=reading.sort_notes(shown, sort),
        view=Viewing(user),
        filters={"kind": kind, "author": author, "in": where, "sort": sort},
        groups=choices,
        sorts=reading.SORT_LABELS,
        error=error,
    )
    return page, 422 if error else 200


def _sort(raw: str) -> reading.Sort:
    return reading.Sort(raw) if raw in set(reading.Sort) else reading.Sort.DOCUMENT
