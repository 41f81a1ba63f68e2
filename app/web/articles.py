"""Reading pages: the article list, an article, one paragraph's whole discussion."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.models import Annotation, Article, Block
from app.services import annotations, reading
from app.web.blueprint import bp, viewer
from app.web.present import Aside, BlockView, Discussion


def discussion_scope() -> Any:
    """Which discussion the pages show: for now the public one, with the reader's own notes.

    A group switcher would resolve the chosen group here and return `in_scope(group)`.
    """
    return reading.in_scope(None)


@bp.get("/")
def index() -> str:
    return render_template("articles/index.html", summaries=reading.list_articles(viewer()))


@bp.get("/articles/<slug>")
def article(slug: str) -> str:
    user, scope = viewer(), discussion_scope()
    article = reading.get_article(slug)
    blocks = reading.list_blocks(article)
    counts = reading.block_counts(user, article, scope)
    quotes = reading.quotes_by_block(user, article, scope)
    previews = reading.preview_threads(user, article, scope=scope)
    asides = asides_by_anchor(article, blocks)
    views = [
        BlockView(
            block=b,
            counts=counts.get(b.id, {}),
            quotes=quotes.get(b.id, []),
            previews=previews.get(b.id, []),
            asides=asides.get(b.anchor, []),
            ctx=Discussion(user, article.slug, b.anchor),
        )
        for b in blocks
    ]
    return render_template("articles/article.html", article=article, views=views)


@bp.get("/articles/<slug>/p/<anchor>")
def block(slug: str, anchor: str) -> tuple[str, int]:
    article = reading.get_article(slug)
    block = reading.get_block(article, anchor)
    return render_block_page(article, block, open_form=_requested_form())


@bp.get("/annotations/<int:annotation_id>")
def annotation(annotation_id: int) -> Response:
    return redirect(in_context(annotations.get_annotation(viewer(), annotation_id)))


def note_url(slug: str, anchor: str, annotation_id: int) -> str:
    """The paragraph page scrolled to one of its annotations."""
    return url_for("web.block", slug=slug, anchor=anchor) + f"#a-{annotation_id}"


def in_context(note: Annotation) -> str:
    """Where an annotation (loaded with its article and block) is shown."""
    return note_url(note.article.slug, note.block.anchor, note.id)


def _requested_form() -> tuple[str, int] | None:
    """`?reply=<id>` or `?edit=<id>`: the no-JS way to open a form under an annotation."""
    for what in ("reply", "edit"):
        raw = request.args.get(what, "")
        if raw.isdigit():
            return what, int(raw)
    return None


def render_block_page(
    article: Article,
    block: Block,
    *,
    open_form: tuple[str, int] | None = None,
    form: FlaskForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The paragraph page; a failed form comes back open, with its text and errors."""
    user, scope = viewer(), discussion_scope()
    notes = reading.block_discussion(user, block, scope)
    page = render_template(
        "articles/block.html",
        article=article,
        block=block,
        threads=reading.build_threads(notes),
        counts=reading.block_counts(user, article, scope).get(block.id, {}),
        quotes=reading.quotes_by_block(user, article, scope).get(block.id, []),
        ctx=Discussion(user, article.slug, block.anchor, open_form, form),
        new_form=form if open_form is None else None,
    )
    return page, status


def asides_by_anchor(article: Article, blocks: list[Block]) -> dict[str, list[Aside]]:
    """The article's "Related" notes by the anchor they follow; unknown anchors go last."""
    known = {b.anchor for b in blocks}
    last = blocks[-1].anchor if blocks else ""
    placed: dict[str, list[Aside]] = {}
    for aside in article.asides or []:
        text = str(aside.get("text", "")).strip() if isinstance(aside, dict) else ""
        if text:
            after: Any = aside.get("after")
            placed.setdefault(after if after in known else last, []).append(Aside.of(text))
    return placed
