"""The only place the API's JSON shapes are built (documented by the models in schemas.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from app import permissions
from app.models import Annotation, AnnotationKind, ApiToken, Article, Block, User
from app.services.reading import ArticleSummary

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
        "blocks": shown,
    }


def present_annotation(annotation: Annotation, viewer: User | None) -> Json:
    """One annotation as `viewer` may see it; needs author, block, article and group loaded."""
    shows_body = permissions.can_see_body(viewer, annotation)
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
    }
