"""Class insight and exports: participation, the gradebook CSV, a discussion as CSV, JSON and
W3C Web Annotation JSON-LD (and its import). Exports are streamed, a batch of rows at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator

from flask import Blueprint, Response, stream_with_context
from flask.typing import ResponseReturnValue

from app import permissions
from app.api.auth import caller, require_user
from app.api.inputs import json_body, query_args
from app.api.openapi import operation
from app.api.presenters import present_participation
from app.api.schemas import (
    ExportQuery,
    ImportedOut,
    InsightQuery,
    JsonLdQuery,
    ParticipationOut,
    WebAnnotationIn,
)
from app.extensions import db
from app.links import public_url_for
from app.loaders import load_article, load_group
from app.models import Article, Group, User
from app.services import exports, insight, webanno
from app.services.errors import Forbidden, NotFound

bp = Blueprint("insight", __name__)
CSV = "text/csv"
TEXT = {"type": "string"}


def _managed_group(slug: str) -> Group:
    group = load_group(slug)
    if not permissions.can_view_insight(caller(), group):
        raise Forbidden("Only the group's instructors see its participation.")
    return group


def _report(group: Group, article_slug: str | None) -> insight.Participation:
    reading = None
    if article_slug is not None:
        reading = insight.get_reading(group, article_slug)
        if reading is None:
            raise NotFound(f"The group does not read {article_slug!r}.")
    return insight.participation(group, reading)


def _download(lines: Iterator[str], media: str, filename: str) -> Response:
    response = Response(stream_with_context(lines), mimetype=media.split(";")[0])
    response.headers["Content-Type"] = f"{media}; charset=utf-8" if "json" in media else media
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/groups/<slug>/participation")
@operation(
    "Participation per member, overall or for one reading: the group's instructors.",
    "insight",
    {200: ParticipationOut},
    auth="required",
    query=InsightQuery,
    errors=(403,),
    description="Only the group's visible annotations count (held, hidden and deleted ones "
    "earn nothing). `?article=` names a reading of the group (else 404).",
)
def participation(slug: str) -> ResponseReturnValue:
    require_user()
    query = query_args(InsightQuery)
    group = _managed_group(slug)
    return present_participation(_report(group, query.article))


@bp.get("/groups/<slug>/export.csv")
@operation(
    "The gradebook: one CSV row per member (as participation), for the group's instructors.",
    "insight",
    {200: TEXT},
    auth="required",
    query=InsightQuery,
    errors=(403,),
    media=CSV,
    description="Cells a spreadsheet would run as a formula (starting `=`, `+`, `-`, `@`) are "
    "prefixed with `'`.",
)
def gradebook(slug: str) -> ResponseReturnValue:
    require_user()
    query = query_args(InsightQuery)
    group = _managed_group(slug)
    report = _report(group, query.article)
    name = f"{group.slug}-{query.article or 'all'}-gradebook.csv"
    lines = exports.csv_lines(exports.GRADEBOOK_COLUMNS, exports.gradebook_rows(report))
    return _download(lines, CSV, name)


def _exporting(slug: str, group_slug: str | None) -> tuple[Article, Group | None, User]:
    user = require_user()
    article = load_article(slug)
    group = load_group(group_slug) if group_slug is not None else None
    if not permissions.can_export_discussion(user, group):
        raise Forbidden("Only the group's instructors (site admins, for the public "
                        "discussion) may export it in full.")  # fmt: skip
    return article, group, user


EXPORT_TEXT = (
    "Every annotation of the discussion but deleted ones, held and hidden included (with "
    "their `status`), oldest first; never private notes. The group's instructors; for the "
    "public discussion (no `group`), site admins."
)


@bp.get("/articles/<slug>/annotations.csv")
@operation(
    "A discussion's annotations as CSV, streamed.",
    "insight",
    {200: TEXT},
    auth="required",
    query=ExportQuery,
    errors=(403,),
    media=CSV,
    description=EXPORT_TEXT + " Formula-like cells are prefixed with `'`.",
)
def annotations_csv(slug: str) -> ResponseReturnValue:
    query = query_args(ExportQuery)
    article, group, user = _exporting(slug, query.group)
    scope = exports.discussion_scope(user, group, article)
    name = f"{article.slug}-{group.slug if group else 'public'}-annotations.csv"
    return _download(exports.annotations_csv(scope), CSV, name)


@bp.get("/articles/<slug>/annotations.json")
@operation(
    "A discussion's annotations as JSON, streamed.",
    "insight",
    {200: {"type": "object", "description": "`{article, group, items: [...]}`."}},
    auth="required",
    query=ExportQuery,
    errors=(403,),
    description=EXPORT_TEXT,
)
def annotations_json(slug: str) -> ResponseReturnValue:
    query = query_args(ExportQuery)
    article, group, user = _exporting(slug, query.group)
    scope = exports.discussion_scope(user, group, article)
    about = {"article": article.slug, "group": group.slug if group else None}
    name = f"{article.slug}-{group.slug if group else 'public'}-annotations.json"
    return _download(exports.annotations_json(scope, about), "application/json", name)


def _site() -> webanno.Site:
    # Exported ids are meant to last: built from PUBLIC_URL, not from the request's Host.
    return webanno.Site(public_url_for("web.index"))


@bp.get("/articles/<slug>/annotations.jsonld")
@operation(
    "The annotations the caller may see as a W3C Web Annotation AnnotationCollection.",
    "insight",
    {200: {"type": "object", "description": "JSON-LD, context http://www.w3.org/ns/anno.jsonld."}},
    query=JsonLdQuery,
    media=webanno.JSONLD,
    description="The discussion of `group` (one the caller is in; else 404), or the public "
    f"one: visible annotations only, {webanno.PAGE_SIZE} per AnnotationPage, the first "
    "embedded; `?page=n` is page n. The kind is the motivation and `cp:stance`.",
)
def annotations_jsonld(slug: str) -> ResponseReturnValue:
    query = query_args(JsonLdQuery)
    user = caller()
    article = load_article(slug)
    group = load_group(query.group) if query.group is not None else None
    scope = webanno.exported(user, article, group)
    site = _site()
    collection = public_url_for(
        "api.insight.annotations_jsonld", slug=article.slug, group=query.group
    )
    if query.page:
        doc = webanno.page_ld(scope, site, collection, query.page)
    else:
        label = f"{article.title} — {group.name if group else 'public discussion'}"
        doc = webanno.collection_ld(scope, site, collection, label)
    response = Response(_json(doc), mimetype="application/ld+json")
    response.headers["Content-Type"] = f"{webanno.JSONLD}; charset=utf-8"
    response.headers["Vary"] = "Authorization, Cookie"
    return response


def _json(doc: object) -> str:
    return json.dumps(doc, ensure_ascii=False)


@bp.post("/articles/<slug>/annotations.jsonld")
@operation(
    "Recreate annotations from W3C Web Annotation JSON-LD (as exported) on this article.",
    "insight",
    {201: ImportedOut},
    auth="required",
    body=WebAnnotationIn,
    query=ExportQuery,
    errors=(403,),
    description="Into `group` (its instructors) or the public discussion (site admins). Every "
    "item is checked first: one that targets another article, whose selectors match nothing, "
    "or that has no text refuses the whole import (422, `fields` naming `items[i]`). "
    "Creators who may write there keep their notes; the others' become the importer's.",
)
def import_jsonld(slug: str) -> ResponseReturnValue:
    user = require_user()
    query = query_args(ExportQuery)
    doc = json_body(WebAnnotationIn).model_dump(by_alias=True)
    article = load_article(slug)
    group = load_group(query.group) if query.group is not None else None
    done = webanno.import_collection(user, article, group, doc, _site())
    db.session.commit()
    items = [{"index": i, "id": new} for i, new in done.created]
    return {"created": len(items), "items": items}, 201
