"""Reading pages for instructors: add an article (preview, publish, assign), revise it, read
its revisions and their differences, and look after annotations a revision orphaned."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from app import permissions
from app.extensions import db
from app.importing import ArticleDraft
from app.importing.structure import adjust_draft
from app.models import Article, Group
from app.routing import id_arg
from app.services import annotations, articles, groups, reading, revisions
from app.services.errors import ConfirmationNeeded, DomainError, Forbidden, ValidationFailed
from app.uploads import takes_article
from app.web.actions import require_user
from app.web.blueprint import bp, viewer
from app.web.forms import add_errors
from app.web.present import Viewing
from app.web.reading_forms import MARKUPS, PublishForm, ReattachForm, ReviseForm, SourceForm

bp.add_app_template_global(permissions.can_add_article, "can_add_article")
bp.add_app_template_global(MARKUPS, "MARKUPS")


def _source_from(form: SourceForm | ReviseForm) -> tuple[str, str]:
    """The document a form carries: an uploaded file wins over pasted text."""
    upload = form.upload.data
    if isinstance(upload, FileStorage) and upload.filename:
        return articles.decode_upload(upload.filename, upload.read(articles.MAX_SOURCE + 1))
    return form.source.data or "", form.markup.data or "md"


def _taught_groups(user: Any) -> list[Group]:
    return [
        group
        for group, member in groups.list_my_groups(user)
        if member.is_instructor and not group.is_archived
    ]


@bp.route("/articles/new", methods=["GET", "POST"])
@takes_article
def new_article() -> Any:
    user = require_user()
    if not permissions.can_add_article(user):
        raise Forbidden("Only instructors and admins add articles.")
    form = SourceForm()
    if not form.validate_on_submit():
        return render_template("readings/new.html", form=form), 422 if form.is_submitted() else 200
    try:
        source, markup = _source_from(form)
        draft = articles.read_source(source, markup)
    except ValidationFailed as exc:
        add_errors(form, exc)
        return render_template("readings/new.html", form=form), exc.status
    publish = PublishForm(formdata=None, source=source, markup=markup)
    publish.fill_from(draft)
    return _preview(user, draft, publish, asides=frozenset(), chosen=set())


def _preview(
    user: Any,
    draft: ArticleDraft,
    form: PublishForm,
    asides: frozenset[int],
    chosen: set[str],
    status: int = 200,
) -> tuple[str, int]:
    shown = adjust_draft(draft, asides=asides)
    page = render_template(
        "readings/preview.html",
        form=form,
        draft=draft,
        shown=shown,
        asides=asides,
        groups=_taught_groups(user),
        chosen=chosen,
    )
    return page, status


@bp.post("/articles/new/publish")
@takes_article
def publish_article() -> Any:
    user = require_user()
    if not permissions.can_add_article(user):
        raise Forbidden("Only instructors and admins add articles.")
    form = PublishForm()
    try:
        draft = articles.read_source(form.source.data or "", form.markup.data or "md")
    except ValidationFailed as exc:  # the hidden source was tampered with or lost
        flash(exc.message, "error")
        return redirect(url_for("web.new_article"))
    asides = frozenset(int(i) for i in request.form.getlist("aside") if i.isdigit())
    taught = {g.slug: g for g in _taught_groups(user)}
    chosen = {slug for slug in request.form.getlist("group") if slug in taught}
    if not form.validate_on_submit() or request.form.get("step") == "preview":
        return _preview(user, draft, form, asides, chosen, 422 if form.errors else 200)
    adjusted = adjust_draft(
        draft,
        title=(form.title.data or "").strip(),
        author=(form.author.data or "").strip() or None,
        published=form.published.data,
        asides=asides,
    )
    try:
        summary = articles.publish_article(
            user, adjusted, (form.slug.data or "").strip(), [taught[s] for s in sorted(chosen)]
        )
    except DomainError as exc:
        db.session.rollback()
        add_errors(form, exc)
        return _preview(user, draft, form, asides, chosen, exc.status)
    slug, title = summary.article.slug, summary.article.title
    db.session.commit()
    assigned = f" and assigned it to {len(chosen)} group(s)" if chosen else ""
    flash(f"Published “{title}”{assigned}.", "success")
    return redirect(url_for("web.article", slug=slug))


def _owned(slug: str) -> tuple[Any, Article]:
    user = require_user()
    article = reading.get_article(slug)
    if not permissions.can_revise_article(user, article):
        raise Forbidden("Only the article's owner or an admin revises it.")
    return user, article


@bp.route("/articles/<slug>/edit", methods=["GET", "POST"])
@takes_article
def edit_article(slug: str) -> Any:
    user, article = _owned(slug)
    latest = revisions.latest_revision(article)
    form = ReviseForm(
        source=latest.source if latest else "", markup=latest.markup if latest else "md"
    )
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("readings/edit.html", form=form, article=article), status
    try:
        source, markup = _source_from(form)
        draft = articles.read_source(source, markup)
        summary = articles.revise_article(user, article, draft, force=bool(form.confirm.data))
    except DomainError as exc:
        db.session.rollback()
        add_errors(form, exc)
        confirm = isinstance(exc, ConfirmationNeeded)
        page = render_template("readings/edit.html", form=form, article=article, confirm=confirm)
        return page, exc.status
    db.session.commit()
    if not summary.changed:
        flash("The text is unchanged: no new revision.", "info")
    else:
        flash(f"Revision {summary.revision} is now the article's text.", "success")
    return redirect(url_for("web.article_health", slug=slug))


@bp.get("/articles/<slug>/health")
def article_health(slug: str) -> Any:
    user = require_user()
    article = reading.get_article(slug)
    if not permissions.can_view_health(user, article):
        raise Forbidden("Only the owner, an admin or a group's instructor sees this report.")
    return render_template(
        "readings/health.html",
        article=article,
        revision=revisions.latest_revision(article),
        orphans=revisions.list_orphans(user, article),
        orphan_view=Viewing(user),
        blocks=reading.list_blocks(article),
        form=ReattachForm(formdata=None),
    )


@bp.post("/annotations/<id:annotation_id>/anchor")
def reattach_annotation(annotation_id: int) -> Response:
    user = require_user()
    note = annotations.get_annotation(user, annotation_id)
    if not permissions.can_reattach_annotation(user, note, note.article):
        raise Forbidden("Only its author, a group instructor or the article's owner moves it.")
    form = ReattachForm()
    slug = note.article.slug
    back = request.form.get("back") == "health" and permissions.can_view_health(user, note.article)
    target = url_for("web.article_health", slug=slug) if back else url_for("web.article", slug=slug)
    if not form.validate_on_submit():
        flash("Choose the paragraph to attach it to.", "error")
        return redirect(target)
    try:
        revisions.reattach_annotation(note, note.article, form.anchor.data or "", form.quote())
    except ValidationFailed as exc:
        db.session.rollback()
        flash(" ".join([exc.message, *exc.fields.values()]), "error")
        return redirect(target)
    anchor = note.block.anchor
    db.session.commit()
    flash("Re-attached: the thread is back in the text.", "success")
    return redirect(url_for("web.article", slug=slug) + f"#{anchor}")


@bp.get("/articles/<slug>/revisions")
def article_revisions(slug: str) -> str:
    article = reading.get_article(slug)
    return render_template(
        "readings/revisions.html",
        article=article,
        revisions=revisions.list_revisions(article),
        can_revise=permissions.can_revise_article(viewer(), article),
    )


@bp.get("/articles/<slug>/revisions/diff")
def revision_diff(slug: str) -> str:
    article = reading.get_article(slug)
    old_n = id_arg("from") or max(1, article.revision - 1)
    new_n = id_arg("to") or article.revision
    old, new = revisions.get_revision(article, old_n), revisions.get_revision(article, new_n)
    return render_template(
        "readings/diff.html",
        article=article,
        old=old,
        new=new,
        lines=revisions.diff_revisions(old, new),
        numbers=range(article.revision, 0, -1),
    )


def render_revision(article: Article, number: int) -> str:
    """An earlier revision of the article page, read-only (`?revision=N`)."""
    return render_template(
        "readings/revision.html",
        article=article,
        revision=revisions.get_revision(article, number),
    )


def article_extras(user: Any, article: Article) -> dict[str, Any]:
    """What the article page adds for revisions: its tools, and the orphans at its end.

    An article never revised has neither history nor orphans: no query is spent on it.
    """
    revised = article.revision > 1
    orphans = revisions.list_orphans(user, article) if revised else []
    return {
        "can_revise": permissions.can_revise_article(user, article),
        "can_health": revised and permissions.can_view_health(user, article),
        "orphans": orphans,
        "orphan_view": Viewing(user),  # bodies or placeholders, as the policy says
        "reattachable": {
            a.id for a in orphans if permissions.can_reattach_annotation(user, a, article)
        },
    }
