"""The only place the API's JSON shapes are built (documented by the models in schemas.py)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from app import permissions
from app.models import (
    Annotation,
    AnnotationKind,
    ApiToken,
    Article,
    ArticleRevision,
    Block,
    Feedback,
    Flag,
    Group,
    Membership,
    ModerationAction,
    Notification,
    Reading,
    User,
)
from app.services import helpful
from app.services.groups import MemberRow
from app.services.insight import MemberActivity, Participation
from app.services.moderation import QueueItem
from app.services.notifications import Context as NotificationContext
from app.services.reading import ArticleSummary
from app.services.search import Hit, Passage

Json = dict[str, Any]


def iso_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with a Z, to the second (e.g. 2024-05-01T09:30:00Z)."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def iso_date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def present_page(items: Iterable[Json], next_cursor: str | None) -> Json:
    return {"items": list(items), "next": next_cursor}


def present_token(raw: str, token: ApiToken) -> Json:
    return {"token": raw, "expires": iso_datetime(token.expires_at)}


def present_me(user: User) -> Json:
    return {"username": user.username, "display_name": user.display_name, "role": user.role}


def present_author(user: User) -> Json:
    return {"username": user.username, "display_name": user.display_name}


def present_article_summary(summary: ArticleSummary) -> Json:
    article = summary.article
    return {
        "slug": article.slug,
        "title": article.title,
        "author": article.author,
        "published": iso_date(article.published),
        "source_url": article.source_url,
        "block_count": summary.block_count,
        "annotation_count": summary.annotation_count,
    }


def present_block(block: Block, counts: Mapping[str, int]) -> Json:
    return {
        "anchor": block.anchor,
        "position": block.position,
        "kind": block.kind,
        "text": block.text,
        "html": block.html,
        # Every kind is listed, zeros included, so clients need not guess the keys.
        "counts": {kind.value: counts.get(kind, 0) for kind in AnnotationKind},
    }


def present_article(
    article: Article, blocks: Sequence[Block], counts: Mapping[int, Mapping[str, int]]
) -> Json:
    """The article with its blocks; `counts` is {block_id: {kind: n}} for the caller."""
    shown = [present_block(block, counts.get(block.id, {})) for block in blocks]
    summary = ArticleSummary(
        article,
        block_count=len(blocks),
        annotation_count=sum(sum(c.values()) for c in counts.values()),
    )
    return {
        **present_article_summary(summary),
        "standfirst": article.standfirst,
        "revision": article.revision,
        "current_revision": article.revision,
        "blocks": shown,
    }


SNAPSHOT_KEYS = ("anchor", "kind", "text", "html")


def present_article_revision(article: Article, revision: ArticleRevision) -> Json:
    """An earlier revision, read-only: its own title and blocks, no discussion counts."""
    zero = {kind.value: 0 for kind in AnnotationKind}
    blocks = [
        {**{key: b[key] for key in SNAPSHOT_KEYS}, "position": n, "counts": zero}
        for n, b in enumerate(revision.blocks)
    ]
    return {
        **present_article_summary(ArticleSummary(article, len(blocks), 0)),
        "title": revision.title,
        "standfirst": article.standfirst,
        "revision": revision.number,
        "current_revision": article.revision,
        "blocks": blocks,
    }


BLOCK_COUNTS = ("kept", "moved", "edited", "added", "removed")
NOTE_COUNTS = ("anchored", "reanchored", "orphaned")


def present_report(report: Mapping[str, Any]) -> Json:
    """Every count named, zeros included (revision 1 of an older article has none)."""
    blocks, notes = report.get("blocks", {}), report.get("annotations", {})
    return {
        "blocks": {k: int(blocks.get(k, 0)) for k in BLOCK_COUNTS},
        "annotations": {k: int(notes.get(k, 0)) for k in NOTE_COUNTS},
    }


def present_revision(revision: ArticleRevision) -> Json:
    return {
        "revision": revision.number,
        "created": iso_datetime(revision.created_at),
        "author": present_author(revision.author) if revision.author else None,
        "report": present_report(revision.report),
    }


def present_health(
    revision: ArticleRevision | None, orphans: Iterable[Annotation], viewer: User | None
) -> Json:
    notes = list(orphans)
    marked = helpful.marked_ids(viewer, [a.id for a in notes])  # one query for the list
    return {
        "revision": revision.number if revision else 0,
        "report": present_report(revision.report if revision else {}),
        "orphaned": [present_annotation(a, viewer, marked) for a in notes],
    }


def present_annotation(
    annotation: Annotation, viewer: User | None, marked: Collection[int] | None = None
) -> Json:
    """One annotation as `viewer` may see it; needs author, block, article and group loaded.

    `marked`: the ids among those presented that `viewer` marked helpful (helpful.marked_ids,
    one query for a whole list); None asks for this one annotation alone.
    """
    shows_body = permissions.can_see_body(viewer, annotation)
    if marked is None:
        marked = helpful.marked_ids(viewer, [annotation.id])
    return {
        "id": annotation.id,
        "article": annotation.article.slug,
        "anchor": annotation.block.anchor,
        "kind": annotation.kind,
        "body": annotation.body if shows_body else None,
        "body_html": annotation.body_html if shows_body else None,
        "parent": annotation.parent_id,
        "quote": annotation.quote,
        "group": annotation.group.slug if annotation.group_id is not None else None,
        "author": present_author(annotation.author),
        "created": iso_datetime(annotation.created_at),
        "updated": iso_datetime(annotation.updated_at),
        "status": annotation.status,
        "reply_count": annotation.reply_count,
        "helpful_count": annotation.helpful_count,
        "helpful_by_me": annotation.id in marked,
        "is_answer": annotation.is_answer,
        "pinned": annotation.pinned,
        "locked": annotation.locked,
        "moderation_reason": (
            annotation.moderation_reason
            if permissions.can_see_moderation_reason(viewer, annotation)
            else None
        ),
        "orphaned": annotation.orphaned,
        "quote_range": annotation.quote_range,
    }


def present_search_hit(hit: Hit, viewer: User | None, marked: Collection[int]) -> Json:
    """An annotation found by a search, with its highlighted snippet."""
    return {**present_annotation(hit.annotation, viewer, marked), "snippet": hit.snippet}


def present_passage(passage: Passage) -> Json:
    return {
        "article": passage.article.slug,
        "anchor": passage.block.anchor,
        "snippet": passage.snippet,
    }


def present_participation(report: Participation) -> Json:
    reading = report.reading
    return {
        "group": report.group.slug,
        "article": reading.article.slug if reading is not None else None,
        "due": iso_date(report.due),
        "items": [present_member_activity(m) for m in report.members],
    }


def present_member_activity(row: MemberActivity) -> Json:
    return {
        "username": row.user.username,
        "display_name": row.user.display_name,
        "role": row.role,
        "counts": {kind.value: row.counts.get(kind, 0) for kind in AnnotationKind},
        "replies_given": row.replies_given,
        "replies_received": row.replies_received,
        "words": row.words,
        "helpful_received": row.helpful_received,
        "first": iso_datetime(row.first) if row.first is not None else None,
        "last": iso_datetime(row.last) if row.last is not None else None,
        "on_time": row.on_time,
    }


# --- reading groups ---------------------------------------------------------------------------


def present_group_summary(group: Group, viewer: User | None) -> Json:
    """A group as `viewer` sees it: the join code only for those who manage it."""
    member = permissions.membership(viewer, group.id)
    shown: Json = {
        "slug": group.slug,
        "name": group.name,
        "role": member.role if member is not None else None,
        "archived": group.is_archived,
        "premoderation": {"mode": group.premoderation, "posts": group.premoderation_posts},
        "created": iso_datetime(group.created_at),
    }
    if permissions.can_moderate_group(viewer, group):
        shown["join_code"] = group.join_code
        shown["join_code_expires"] = iso_datetime(group.join_code_expires_at)
    return shown


def present_group(
    group: Group, viewer: User | None, members: Sequence[MemberRow], readings: Sequence[Reading]
) -> Json:
    """The group with its readings and members; suspensions only for those who manage it."""
    manages = permissions.can_moderate_group(viewer, group)
    return {
        **present_group_summary(group, viewer),
        "readings": [present_reading(r) for r in readings],
        "members": [present_member(row.user, row.membership, manages) for row in members],
    }


def present_reading(reading: Reading) -> Json:
    """Needs the reading's article loaded."""
    return {
        "article": reading.article.slug,
        "title": reading.article.title,
        "due": iso_date(reading.due_on),
    }


def present_member(user: User, membership: Membership, manages: bool) -> Json:
    shown: Json = {
        "username": user.username,
        "display_name": user.display_name,
        "role": membership.role,
        "joined": iso_datetime(membership.joined_at),
    }
    if manages:
        until = membership.suspended_until
        shown["suspended_until"] = iso_datetime(until) if until is not None else None
    return shown


def present_suspension(user: User, until: datetime, reason: str | None) -> Json:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "suspended_until": iso_datetime(until),
        "reason": reason,
    }


# --- moderation -------------------------------------------------------------------------------


def _flag_fields(flag: Flag) -> Json:
    """Needs the flag's user loaded."""
    return {
        "reason": flag.reason,
        "details": flag.details,
        "by": present_author(flag.user),
        "created": iso_datetime(flag.created_at),
    }


def present_flag(flag: Flag) -> Json:
    return {"annotation": flag.annotation_id, **_flag_fields(flag)}


def present_queue_item(item: QueueItem, viewer: User) -> Json:
    annotation = item.annotation
    # Moderators cannot mark the queue's notes from it: no per-item look-up of their marks.
    none: frozenset[int] = frozenset()
    return {
        "annotation": present_annotation(annotation, viewer, none),
        "anchor": annotation.block.anchor,
        "block_text": annotation.block.text,
        "flags": [_flag_fields(flag) for flag in item.flags],
        "thread": [present_annotation(a, viewer, none) for a in item.thread],
    }


def present_log_entry(entry: ModerationAction) -> Json:
    """Needs the entry's actor and subject user loaded."""
    subject = entry.subject_user
    return {
        "id": entry.id,
        "action": entry.action,
        "actor": present_author(entry.actor),
        "subject": {
            "annotation": entry.annotation_id,
            "user": present_author(subject) if subject is not None else None,
        },
        "reason": entry.reason,
        "previous": entry.previous,
        "created": iso_datetime(entry.created_at),
    }


def present_feedback(feedback: Feedback) -> Json:
    """Needs the feedback's author loaded."""
    return {
        "id": feedback.id,
        "annotation": feedback.annotation_id,
        "body": feedback.body,
        "body_html": feedback.body_html,
        "author": present_author(feedback.author),
        "created": iso_datetime(feedback.created_at),
    }


# --- notifications ----------------------------------------------------------------------------


def present_notification(note: Notification, context: NotificationContext | None = None) -> Json:
    """Needs the notification's actor loaded; `context` from notifications.context_of."""
    return {
        "id": note.id,
        "kind": note.kind,
        "message": note.message,
        "annotation": note.annotation_id,
        "actor": present_author(note.actor) if note.actor is not None else None,
        "created": iso_datetime(note.created_at),
        "read": note.read_at is not None,
        "context": None if context is None else present_notification_context(context),
    }


def present_notification_context(context: NotificationContext) -> Json:
    group = None
    if context.group_slug is not None:
        group = {"slug": context.group_slug, "name": context.group_name}
    return {
        "article": {"slug": context.article_slug, "title": context.article_title},
        "block": {
            "anchor": context.anchor,
            "kind": context.block_kind,
            "position": context.block_position,
            "opening": context.block_opening,
        },
        "group": group,
        "excerpt": context.excerpt,
    }


def present_counts(unread: int, queue: int) -> Json:
    return {"unread": unread, "queue": queue}


def present_marked(marked: int) -> Json:
    return {"marked": marked}


def present_user(user: User) -> Json:
    """An account as an administrator sees it (the email address is for admins alone)."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "email": user.email,
        "disabled": user.disabled_at is not None,
        "created": iso_datetime(user.created_at),
    }
