"""Reading pages: the article list, an article, one paragraph's whole discussion."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import jsonify, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import and_
from werkzeug.wrappers import Response

from app.models import Annotation, Article, Block, Group
from app.permissions import Everyone
from app.routing import id_arg, parse_id
from app.services import annotations, feedback, helpful, reading
from app.services.personal import personal_layer
from app.web import caching, debate, header, readings
from app.web.blueprint import bp, viewer
from app.web.present import Aside, BlockView, Discussion, Place, posting_closed
from app.web.reader_tools import reader_tools
from app.web.reading_scope import (
    discussion_scope,
    in_context,
    requested_sort,
    selected_group,
    switcher,
)


@bp.get("/")
def index() -> str:
    return render_template("articles/index.html", summaries=reading.list_articles(viewer()))


@bp.get("/articles/<slug>")
def article(slug: str) -> ResponseReturnValue:
    user = viewer()
    article = reading.get_article(slug)
    number = id_arg("revision")
    if number is not None and number != article.revision:
        return readings.render_revision(article, number)
    group = selected_group()
    sort = requested_sort()
    mine = personal_layer(user, article, group)
    header.preset(mine.header)
    page = {
        "article": article,
        "group": group,
        "sort": sort,
        "sorts": reading.SORT_LABELS,
        "closed": posting_closed(user, group),
        "switcher": switcher(article, group, "web.article", mine.groups, slug=article.slug),
        **readings.article_extras(user, article),
    }
    if caching.shares(user, group):
        page["personal"] = mine
        if user.is_authenticated:  # a guest's page holds no token (a proxy may keep it)
            page["reader_tools"] = reader_tools(group, bool(page["closed"]))
        everyone = Everyone(group.id if group else None)
        marks = helpful.MyMarks(mine.marked, mine.flagged)
        layers = caching.Layers(
            shared=lambda: article_views(everyone, article, group, sort),
            own=lambda places: article_views(user, article, group, sort, places, marks),
            apart=mine.apart,
        )
        return caching.shared_article_page(article, group, sort, page, layers)
    return render_template(
        "articles/article.html",
        views=article_views(user, article, group, sort),
        blocks_html=None,
        **page,
    )


def article_views(
    user: Any,
    article: Article,
    group: Group | None,
    sort: reading.Sort | None = None,
    places: Sequence[Place] | None = None,
    marks: helpful.MyMarks | None = None,
) -> list[BlockView]:
    """Each block of the article with its counts, quotes and previewed threads (4 queries),
    as `user` sees them (`Everyone`: the shared layer, no one's controls). `places`: only
    these blocks, as the shared layer placed them; `marks`: the reader's, read already."""
    scope, among = discussion_scope(group), None
    if places is None:
        places = article_places(article)
    else:
        among = Annotation.block_id.in_([p.block.id for p in places])
        scope = and_(scope, among)
    counts, quotes = reading.counts_and_quotes(user, article, scope)
    previews = reading.preview_threads(user, article, scope=scope, sort=sort)
    shown = [a for notes in previews.values() for a in notes]
    notes = feedback.list_feedback_for(user, shown)
    if marks is None:
        marks = helpful.my_marks(user, (a.id for a in shown))
    public = public_counts(user, article, group, among)
    shared = isinstance(user, Everyone)
    return [
        BlockView(
            block=p.block,
            counts=counts.get(p.block.id, {}),
            quotes=quotes.get(p.block.id, []),
            previews=previews.get(p.block.id, []),
            asides=p.asides,
            number=p.number,
            elsewhere=sum(public.get(p.block.id, {}).values()),
            ctx=Discussion(
                user,
                article.slug,
                p.block.anchor,
                group=group,
                feedback=notes,
                marked=marks.helpful,
                flagged=marks.flagged,
                shared=shared,
            ),
        )
        for p in places
    ]


def article_places(article: Article) -> list[Place]:
    """The article's blocks, each with its number and the asides after it (1 query)."""
    blocks = reading.list_blocks(article)
    asides = asides_by_anchor(article, blocks)
    numbers = reading.numbered(blocks)
    return [Place(b, numbers[b.id], asides.get(b.anchor, [])) for b in blocks]


@bp.get("/articles/<slug>/version")
def article_version(slug: str) -> Response:
    """What live readers poll (static/js/live.js): the article's discussion version, 304 when
    the reader's ETag still matches. One indexed query and no session, user or template, so
    idle readers cost little; any worker or instance answers it alike (the version is in the
    database, raised by every write a page shows)."""
    version = reading.discussion_version(slug)
    response = jsonify(version=version)
    response.set_etag(f"v{version}")
    # Revalidated on every poll, kept by nobody but the reader's own browser.
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)


def public_counts(
    user: Any, article: Article, group: Group | None, among: Any = None
) -> dict[int, dict[str, int]]:
    """In a group's view, what the public discussion holds per block (your own public notes
    included), so nothing you wrote there vanishes without a trace; one query, none otherwise.
    The shared layer counts what every reader of the public discussion sees."""
    if group is None:
        return {}
    reader = Everyone(None) if isinstance(user, Everyone) else user
    scope = discussion_scope(None)
    if among is not None:  # some blocks only
        scope = and_(scope, among)
    return reading.block_counts(reader, article, scope)


@bp.get("/articles/<slug>/p/<anchor>")
def block(slug: str, anchor: str) -> ResponseReturnValue:
    article = reading.get_article(slug)
    block = reading.get_block(article, anchor)
    group = selected_group()
    if group is None and not viewer().is_authenticated:
        return caching.anonymous_page(
            article, lambda: render_block_page(article, block, None, open_form=_requested_form())[0]
        )
    return render_block_page(article, block, group, open_form=_requested_form())


@bp.get("/annotations/<id:annotation_id>")
def annotation(annotation_id: int) -> Response:
    return redirect(in_context(annotations.get_annotation(viewer(), annotation_id)))


def _requested_form() -> tuple[str, int] | None:
    """`?reply=<id>` or `?edit=<id>`: the no-JS way to open a form under an annotation."""
    for what in ("reply", "edit"):
        if (target := parse_id(request.args.get(what))) is not None:
            return what, target
    return None


def render_block_page(
    article: Article,
    block: Block,
    group: Group | None,
    *,
    open_form: tuple[str, int] | None = None,
    form: FlaskForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The paragraph page in one discussion; a failed form comes back open, with its errors.

    `?view=debate` draws the same notes as a debate (app/web/debate.py), `?sort=` orders them.
    """
    user, scope = viewer(), discussion_scope(group)
    notes = reading.block_discussion(user, block, scope)
    sort = requested_sort()
    threads = reading.build_threads(notes, sort, block)
    ctx = Discussion(
        user,
        article.slug,
        block.anchor,
        open_form,
        form,
        group=group,
        feedback=feedback.list_feedback_for(user, notes),
    )
    # The reader's marks and flags, the switcher's groups and the header: one statement.
    mine = personal_layer(user, article, group)
    header.preset(mine.header)
    ctx.marked, ctx.flagged = mine.marked, mine.flagged
    view = debate.requested_view(threads)
    page = render_template(
        "articles/block.html",
        article=article,
        block=block,
        number=reading.block_number(block),
        threads=threads,
        view=view,
        sort=sort,
        sorts=reading.SORT_LABELS,
        counts=reading.block_counts(user, article, scope).get(block.id, {}),
        elsewhere=sum(public_counts(user, article, group).get(block.id, {}).values()),
        quotes=reading.quotes_by_block(user, article, scope).get(block.id, []),
        ctx=ctx,
        group=group,
        switcher=switcher(
            article, group, "web.block", mine.groups, slug=article.slug, anchor=block.anchor
        ),
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
