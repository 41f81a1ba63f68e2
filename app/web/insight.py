"""Class insight pages: the group's dashboard, one member's work, search, the printable article."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from flask import render_template, request, url_for

from app import permissions
from app.loaders import load_group
from app.models import AnnotationKind, Group, GroupRole
from app.services import groups, insight, reading, search
from app.services.errors import Forbidden, NotFound, ValidationFailed
from app.web import charts, present
from app.web.actions import require_user
from app.web.blueprint import bp, viewer
from app.web.present import Viewing
from app.web.reading_scope import selected_group

PAGE = 20
USERNAME = "USERNAME"  # stands for the name in a work-page URL built once per page


def _managed(slug: str) -> Group:
    group = load_group(slug)
    if not permissions.can_view_insight(viewer(), group):
        raise Forbidden("Only the group's instructors see its participation.")
    return group


@bp.get("/groups/<slug>/insight")
def insight_page(slug: str) -> str:
    require_user()
    group = _managed(slug)
    readings = insight.list_readings(group)
    chosen = request.args.get("article") or None
    current = next((r for r in readings if r.article.slug == chosen), None)
    if chosen is not None and current is None:
        raise NotFound("The group does not read that article.")
    report = insight.participation(group, current)
    rows = member_rows(report, url_for("web.member_work", slug=group.slug, username=USERNAME))
    return render_template(
        "insight/dashboard.html",
        group=group,
        readings=readings,
        current=current,
        report=report,
        rows=rows,
        work_urls={row.username: row.url for row in rows},
        members_chart=charts.member_chart(report.members),
        days_chart=charts.day_chart(report.per_day),
        heat=charts.heat_map(report.blocks, report.per_block) if current else None,
        stuck=insight.where_stuck(group, readings, report.members),
    )


@dataclass(frozen=True)
class Moment:
    """A moment as a table cell shows it: the day, the full time on hover, ISO for machines."""

    iso: str
    title: str
    day: str


@dataclass(frozen=True)
class MemberRow:
    """One row of the participation table, every cell ready to print: a class of 300 is 4,000
    cells, and filters and url_for per cell were half the page's time."""

    username: str
    name: str
    instructor: bool
    url: str  # their work page
    counts: tuple[int, ...]  # in KINDS order
    words: int
    replies_given: int
    replies_received: int
    helpful: int
    first: Moment | None
    last: Moment | None
    on_time: bool | None


def _moment(when: datetime | None) -> Moment | None:
    if when is None:
        return None
    return Moment(present.iso(when), present.when(when), when.strftime("%d %b"))


def member_rows(report: insight.Participation, work_url: str) -> list[MemberRow]:
    """`work_url`: a member's work page with USERNAME in place of the name (one url_for)."""
    return [
        MemberRow(
            m.user.username,
            m.user.display_name,
            m.role == GroupRole.INSTRUCTOR,
            work_url.replace(USERNAME, quote(m.user.username, safe="")),
            tuple(m.counts.get(kind, 0) for kind in present.KINDS),
            m.words,
            m.replies_given,
            m.replies_received,
            m.helpful_received,
            _moment(m.first),
            _moment(m.last),
            m.on_time,
        )
        for m in report.members
    ]


@bp.get("/groups/<slug>/members/<username>/work")
def member_work(slug: str, username: str) -> str:
    require_user()
    group = _managed(slug)
    member = insight.group_member(group, username) if "\x00" not in username else None
    if member is None:
        raise NotFound("No such member of this group.")
    return render_template(
        "insight/member.html",
        group=group,
        work=insight.member_work(group, member),
        view=Viewing(viewer()),
    )


def _day(name: str, errors: dict[str, str]) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = "Use a date like 2025-03-04."
        return None


def _filters(errors: dict[str, str]) -> search.SearchFilter:
    args = {k: (request.args.get(k) or "").strip() or None for k in ("article", "kind", "author")}
    if args["kind"] is not None and args["kind"] not in set(AnnotationKind):
        errors["kind"] = "Choose a kind from the list."
        args["kind"] = None
    group = selected_group()
    return search.SearchFilter(
        article=args["article"],
        kind=args["kind"],
        author=args["author"],
        group=group.slug if group is not None else None,
        since=_day("since", errors),
        until=_day("until", errors),
    )


@bp.get("/search")
def search_page() -> tuple[str, int]:
    user = viewer()
    query = (request.args.get("q") or "").strip()
    errors: dict[str, str] = {}
    where = _filters(errors)
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and 0 < int(page) <= 1000 else 1
    hits: list[search.Hit] = []
    passages: list[search.Passage] = []
    more = False
    if query and not errors:
        try:
            hits = search.search_annotations(user, query, where, (number - 1) * PAGE, PAGE + 1)
            passages = search.search_passages(query, where.article) if number == 1 else []
        except ValidationFailed as exc:
            errors.update(exc.fields or {"q": exc.message})
        more, hits = len(hits) > PAGE, hits[:PAGE]
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "insight/search.html",
        query=query,
        where=where,
        errors=errors,
        hits=hits,
        passages=passages,
        number=number,
        next_url=url_for("web.search_page", **args, page=number + 1) if more else None,
        groups=_my_groups(user),
        kinds=list(AnnotationKind),
    ), 422 if errors else 200


def _my_groups(user: Any) -> list[Group]:
    return [g for g, _ in groups.list_my_groups(user)] if user.is_authenticated else []


@bp.get("/articles/<slug>/print")
def print_article(slug: str) -> str:
    user = viewer()
    article = reading.get_article(slug)
    group = selected_group()
    notes = insight.printable_notes(user, article, group)
    return render_template(
        "insight/print.html",
        article=article,
        group=group,
        blocks=reading.list_blocks(article),
        notes=notes,
    )
