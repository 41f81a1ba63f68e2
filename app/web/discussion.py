"""Posting, replying, editing and deleting annotations from the HTML pages (with or without JS)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, get_template_attribute, jsonify, redirect, request, url_for
from werkzeug.wrappers import Response

from app import permissions, throttle
from app.extensions import db, limiter
from app.models import Annotation, AnnotationStatus, Article, Group, Visibility
from app.services import annotations, reading
from app.services.errors import Conflict, Forbidden, ValidationFailed
from app.web.actions import back_to
from app.web.articles import render_block_page
from app.web.blueprint import bp, viewer, wants_fragment
from app.web.forms import AnnotationForm, EditForm, add_errors, form_errors
from app.web.present import Discussion, safe_next
from app.web.reading_scope import discussion_scope, in_context, note_url, selected_group

# The form's mistakes, shown next to its fields; other domain errors become error pages.
FORM_ERRORS = (ValidationFailed, Conflict)
# Posting may also be refused outright (a suspended member): the text stays in the form.
POST_ERRORS = (*FORM_ERRORS, Forbidden)


@bp.post("/articles/<slug>/p/<anchor>/annotations")
@limiter.limit(throttle.WRITE_RATE, key_func=throttle.user_or_address)
def post_annotation(slug: str, anchor: str) -> Any:
    article = reading.get_article(slug)
    block = reading.get_block(article, anchor)
    if not permissions.can_post(viewer()):
        return _sign_in_first(url_for("web.block", slug=slug, anchor=anchor))
    group = selected_group()
    form = AnnotationForm()
    open_form = ("reply", form.parent_id()) if form.parent_id() is not None else None
    if not form.validate_on_submit():
        return _failed(article, block, group, form, form_errors(form), open_form, 422)
    try:
        note = annotations.post_annotation(viewer(), article, form.to_new(anchor))
    except POST_ERRORS as exc:
        db.session.rollback()
        errors = add_errors(form, exc)
        return _failed(article, block, group, form, errors, open_form, exc.status)
    db.session.commit()
    # Loaded while posting: the session still holds it, so this costs no query.
    if note.group_id is not None:
        group = db.session.get(Group, note.group_id)
    elif note.visibility != Visibility.PRIVATE:
        group = None  # a private note stays in the discussion it was written in
    if wants_fragment():
        return _fragment(article, anchor, note, group)
    flash(_posted_message(note), "success")
    return redirect(note_url(article.slug, anchor, note.id, group))


def _posted_message(note: Annotation) -> str:
    if note.status == AnnotationStatus.PENDING:
        return "Your note is posted. The group sees it once an instructor approves it."
    return "Your reply is posted." if note.parent_id else "Your note is posted."


@bp.post("/annotations/<id:annotation_id>/edit")
@limiter.limit(throttle.WRITE_RATE, key_func=throttle.user_or_address)
def edit_annotation(annotation_id: int) -> Any:
    # A lock (409, said on the form) is the service's to explain; anyone else's note is a 403.
    note = _own(annotation_id)
    if not _may_try_editing(viewer(), note):  # never open the form on another's note
        raise Forbidden(permissions.REFUSALS[permissions.can_edit_annotation])
    # Read before the commit or rollback expires them (they never lazy-load).
    article, block, group = note.article, note.block, note.group
    form = EditForm()
    back = back_to(form, in_context(note))
    if not form.validate_on_submit():
        return _failed(article, block, group, form, form_errors(form), ("edit", note.id), 422)
    try:
        annotations.edit_annotation(viewer(), note, body=form.body.data, kind=form.kind.data)
    except FORM_ERRORS as exc:
        db.session.rollback()
        errors = add_errors(form, exc)
        return _failed(article, block, group, form, errors, ("edit", annotation_id), exc.status)
    db.session.commit()
    flash("Your changes are saved.", "success")
    return redirect(back)


@bp.post("/annotations/<id:annotation_id>/delete")
@limiter.limit(throttle.WRITE_RATE, key_func=throttle.user_or_address)
def delete_annotation(annotation_id: int) -> Any:
    note = _own(annotation_id)  # the service decides who may delete it
    back = safe_next(request.form.get("next")) or in_context(note)
    annotations.delete_annotation(viewer(), note)
    db.session.commit()
    flash("The annotation is deleted; replies to it keep their place.", "success")
    return redirect(back)


def _may_try_editing(user: Any, note: Annotation) -> bool:
    return permissions.can_edit_annotation(user, note) or permissions.locked_out(user, note)


def _own(annotation_id: int) -> Annotation:
    """The annotation for a signed-in viewer (404 if they may not know of it)."""
    user = viewer()
    if not user.is_authenticated:
        # /annotations/<id> leads back to the annotation once signed in.
        abort(_sign_in_first(url_for("web.annotation", annotation_id=annotation_id)))
    return annotations.get_annotation(user, annotation_id)


def _sign_in_first(back_to: str) -> Response:
    if wants_fragment():
        response = jsonify(errors={"form": "Sign in to take part."}, message="Sign in first.")
        response.status_code = 401
        return response
    flash("Sign in to take part in the discussion.", "info")
    return redirect(url_for("web.login", next=back_to))


def _failed(
    article: Article,
    block: Any,
    group: Group | None,
    form: Any,
    errors: dict[str, str],
    open_form: tuple[str, int] | None,
    status: int,
) -> Any:
    """Answer a refused form: JSON for the page's script, else the page with the form open."""
    if wants_fragment():
        message = next(iter(errors.values()), "The note could not be posted.")
        response = jsonify(errors=errors, message=message)
        response.status_code = status
        return response
    return render_block_page(article, block, group, open_form=open_form, form=form, status=status)


def _fragment(article: Article, anchor: str, note: Annotation, group: Group | None) -> Response:
    """The new annotation drawn by the same macro as the pages, and the block's new counts."""
    ctx = Discussion(viewer(), article.slug, anchor, group=group)
    draw = get_template_attribute("macros.html", "annotation")
    badges = get_template_attribute("macros.html", "count_badges")
    scope = discussion_scope(group)
    counts = reading.block_counts(viewer(), article, scope).get(note.block_id, {})
    response = jsonify(
        html=str(draw(note, ctx, note.depth)),
        counts=counts,
        counts_html=str(badges(anchor, counts, ctx.page_url)),
        total=sum(counts.values()),
        anchor=anchor,
        id=note.id,
        parent=note.parent_id,
    )
    response.status_code = 201
    return response
