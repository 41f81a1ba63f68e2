"""Exports that leave nothing behind and hold little in memory: the gradebook, every annotation
of a discussion as CSV or JSON. Rows are streamed from the database in batches."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import aliased

from app import permissions
from app.extensions import db
from app.models import (
    Annotation,
    AnnotationKind,
    AnnotationStatus,
    Article,
    Block,
    Group,
    User,
    Visibility,
)
from app.services.insight import Participation

BATCH = 500
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

GRADEBOOK_COLUMNS = (
    "username",
    "display_name",
    "role",
    *(f"{kind.value}s" for kind in AnnotationKind),
    "notes",
    "replies_given",
    "replies_received",
    "words",
    "helpful_received",
    "first",
    "last",
    "on_time",
)
ANNOTATION_COLUMNS = (
    "id",
    "article",
    "anchor",
    "kind",
    "status",
    "visibility",
    "group",
    "author",
    "author_name",
    "parent",
    "created",
    "updated",
    "quote",
    "body",
    "words",
    "reply_count",
)


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text: one that would start a formula gets a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_lines(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """CSV text, one line at a time (a byte-order mark first, so spreadsheets read UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells: Iterable[Any]) -> str:
        writer.writerow([safe_cell(c) for c in cells])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield "\ufeff" + line(header)
    for row in rows:
        yield line(row)


def gradebook_rows(report: Participation) -> Iterator[list[Any]]:
    """One row per member, in GRADEBOOK_COLUMNS order."""
    for m in report.members:
        on_time = "" if m.on_time is None else ("yes" if m.on_time else "no")
        yield [
            m.user.username,
            m.user.display_name,
            m.role,
            *(m.counts.get(kind, 0) for kind in AnnotationKind),
            m.notes,
            m.replies_given,
            m.replies_received,
            m.words,
            m.helpful_received,
            iso(m.first) or "",
            iso(m.last) or "",
            on_time,
        ]


def discussion_scope(
    user: Any, group: Group | None, article: Article | None = None
) -> ColumnElement[bool]:
    """A whole discussion as its moderators see it: a group's, or the public one (never the
    private notes, which are their authors' alone); deleted annotations are left out. Bounded
    by what `user` may know of (the policy's list filter), as every list is."""
    where = (
        Annotation.group_id == group.id
        if group is not None
        else Annotation.visibility == Visibility.PUBLIC
    )
    where = where & (Annotation.status != AnnotationStatus.DELETED)
    where = where & permissions.visible_annotations(user)
    return where & (Annotation.article_id == article.id) if article is not None else where


def annotation_records(scope: ColumnElement[bool]) -> Iterator[dict[str, Any]]:
    """Every annotation in `scope`, oldest first, as plain dicts, fetched in batches."""
    group = aliased(Group)
    stmt = (
        select(
            Annotation.id,
            Article.slug,
            Block.anchor,
            Annotation.kind,
            Annotation.status,
            Annotation.visibility,
            group.slug,
            User.username,
            User.display_name,
            Annotation.parent_id,
            Annotation.created_at,
            Annotation.updated_at,
            Annotation.quote_exact,
            Annotation.body,
            Annotation.word_count,
            Annotation.reply_count,
        )
        .join(Article, Article.id == Annotation.article_id)
        .join(Block, Block.id == Annotation.block_id)
        .join(User, User.id == Annotation.author_id)
        .outerjoin(group, group.id == Annotation.group_id)
        .where(scope)
        .order_by(Annotation.id)
        .execution_options(yield_per=BATCH)
    )
    for row in db.session.execute(stmt):
        (id_, article, anchor, kind, status, visibility, group_slug, username, name, parent,
         created, updated, quote, body, words, replies) = row  # fmt: skip
        yield {
            "id": id_,
            "article": article,
            "anchor": anchor,
            "kind": kind,
            "status": status,
            "visibility": visibility,
            "group": group_slug,
            "author": username,
            "author_name": name,
            "parent": parent,
            "created": iso(created),
            "updated": iso(updated),
            "quote": quote,
            "body": body,
            "words": words,  # as participation counts them (app.text.count_words)
            "reply_count": replies,
        }


def annotations_csv(scope: ColumnElement[bool]) -> Iterator[str]:
    rows = ([r[c] for c in ANNOTATION_COLUMNS] for r in annotation_records(scope))
    return csv_lines(ANNOTATION_COLUMNS, rows)


def annotations_json(scope: ColumnElement[bool], about: dict[str, Any]) -> Iterator[str]:
    """`{...about, "items": [...]}` written item by item."""
    head = json.dumps(about, ensure_ascii=False)[:-1]
    yield head + (', "items": [' if about else '"items": [')
    for n, record in enumerate(annotation_records(scope)):
        yield ("," if n else "") + "\n" + json.dumps(record, ensure_ascii=False)
    yield "\n]}\n"
