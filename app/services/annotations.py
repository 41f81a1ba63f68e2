"""Writing annotations: post, reply, edit, delete, with the rules every client shares."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from app import permissions
from app.extensions import db
from app.models import (
    Annotation,
    AnnotationKind,
    AnnotationStatus,
    Article,
    Block,
    User,
    Visibility,
)
from app.models.annotation import MAX_BODY, MAX_DEPTH
from app.models.base import utcnow
from app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.text import render_markdown

MAX_QUOTE = 2_000
QUOTE_CONTEXT = 64


@dataclass(frozen=True)
class Quote:
    """A W3C TextQuoteSelector: `exact` text with up to 64 characters of context each side."""

    exact: str
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class NewAnnotation:
    anchor: str
    kind: str
    body: str
    parent_id: int | None = None
    quote: Quote | None = None
    private: bool = False  # a note for its author alone; replies take their parent's visibility


def clean_body(body: str) -> str:
    """The body as stored: trimmed, and 1–10,000 characters, or ValidationFailed."""
    text = body.strip()
    if not text:
        raise ValidationFailed("The body is empty.", {"body": "Write something first."})
    if len(text) > MAX_BODY:
        raise ValidationFailed(
            "The body is too long.",
            {"body": f"Use at most {MAX_BODY:,} characters (this has {len(text):,})."},
        )
    return text


def check_kind(kind: str) -> str:
    if kind not in set(AnnotationKind):
        raise ValidationFailed(
            "Unknown kind.", {"kind": f"Kind must be one of {', '.join(AnnotationKind)}."}
        )
    return kind


def _block(article: Article, anchor: str) -> Block:
    block = db.session.scalar(
        select(Block).where(Block.article_id == article.id, Block.anchor == anchor)
    )
    if block is None:
        raise ValidationFailed(
            "No such paragraph in this article.", {"anchor": f"Unknown anchor {anchor!r}."}
        )
    return block


def _parent(actor: User, block: Block, parent_id: int) -> Annotation:
    parent = db.session.get(Annotation, parent_id)
    if parent is None or not permissions.can_view_annotation(actor, parent):
        raise ValidationFailed("Unknown parent.", {"parent": "No such annotation to reply to."})
    if parent.block_id != block.id:
        raise ValidationFailed(
            "The parent belongs to another paragraph.",
            {"parent": "Replies must stay on the parent's paragraph."},
        )
    if parent.status == AnnotationStatus.DELETED:
        raise Conflict("That annotation was deleted; it takes no new replies.")
    if parent.locked or _root_locked(parent):
        raise Conflict("This thread is locked; it takes no new replies.")
    if parent.depth + 1 > MAX_DEPTH:
        raise ValidationFailed("The thread is too deep.", {"parent": "Reply higher up."})
    return parent


def _root_locked(parent: Annotation) -> bool:
    if parent.root_id is None or parent.root_id == parent.id:
        return False
    return bool(db.session.scalar(select(Annotation.locked).where(Annotation.id == parent.root_id)))


def _check_quote(block: Block, quote: Quote) -> Quote:
    if not quote.exact.strip() or len(quote.exact) > MAX_QUOTE:
        raise ValidationFailed(
            "The quote is empty or too long.",
            {"quote": f"Quote 1–{MAX_QUOTE:,} characters of the paragraph."},
        )
    if quote.exact not in block.text:
        raise ValidationFailed(
            "The quoted text is not in this paragraph.",
            {"quote": "Select the words again: they do not occur in this paragraph."},
        )
    return Quote(quote.exact, quote.prefix[-QUOTE_CONTEXT:], quote.suffix[:QUOTE_CONTEXT])


def post_annotation(actor: User, article: Article, data: NewAnnotation) -> Annotation:
    """Attach a new annotation (or a reply) to a block of `article`."""
    if not permissions.can_post(actor):
        raise Forbidden("Sign in to take part.")
    body = clean_body(data.body)
    kind = check_kind(data.kind)
    block = _block(article, data.anchor)
    parent = _parent(actor, block, data.parent_id) if data.parent_id is not None else None
    quote = _check_quote(block, data.quote) if data.quote is not None else None
    if data.private and parent is not None and parent.visibility != Visibility.PRIVATE:
        raise ValidationFailed(
            "A reply cannot be private.", {"private": "A reply shares its parent's visibility."}
        )
    visibility = Visibility.PRIVATE if data.private else Visibility.PUBLIC
    now = utcnow()
    annotation = Annotation(
        article_id=article.id,
        block_id=block.id,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 0,
        author_id=actor.id,
        kind=kind,
        body=body,
        body_html=render_markdown(body),
        quote_exact=quote.exact if quote else None,
        quote_prefix=quote.prefix if quote else None,
        quote_suffix=quote.suffix if quote else None,
        visibility=parent.visibility if parent else visibility,
        status=AnnotationStatus.VISIBLE,
        created_at=now,
        updated_at=now,
    )
    annotation.author = actor
    db.session.add(annotation)
    db.session.flush()
    annotation.root_id = parent.root_id if parent else annotation.id
    if parent is not None:
        _adjust_reply_count(parent.id, +1)
    db.session.flush()
    return annotation


def _adjust_reply_count(annotation_id: int, delta: int) -> None:
    # An UPDATE ... SET n = n + 1 cannot lose a count to a concurrent writer.
    db.session.execute(
        update(Annotation)
        .where(Annotation.id == annotation_id)
        .values(reply_count=Annotation.reply_count + delta)
        .execution_options(synchronize_session=False)
    )


def edit_annotation(
    actor: User, annotation: Annotation, body: str | None = None, kind: str | None = None
) -> Annotation:
    """Change the body and/or kind; the author alone may."""
    if not permissions.can_edit_annotation(actor, annotation):
        raise Forbidden("Only the author can edit this annotation.")
    if body is None and kind is None:
        raise ValidationFailed("Nothing to change.", {"body": "Send a body or a kind."})
    if body is not None:
        annotation.body = clean_body(body)
        annotation.body_html = render_markdown(annotation.body)
    if kind is not None:
        annotation.kind = check_kind(kind)
    annotation.updated_at = utcnow()
    db.session.flush()
    return annotation


def delete_annotation(actor: User, annotation: Annotation) -> None:
    """Mark deleted: replies keep their place under a 'deleted' placeholder."""
    if not permissions.can_delete_annotation(actor, annotation):
        raise Forbidden("Only the author or a moderator can delete this annotation.")
    was_counted = annotation.status == AnnotationStatus.VISIBLE
    annotation.status = AnnotationStatus.DELETED
    annotation.updated_at = utcnow()
    if annotation.parent_id is not None and was_counted:
        _adjust_reply_count(annotation.parent_id, -1)
    db.session.flush()


def get_annotation(actor: User | None, annotation_id: int) -> Annotation:
    """The annotation if `actor` may know it exists; NotFound otherwise (never 403)."""
    annotation = db.session.scalar(
        select(Annotation)
        .options(
            joinedload(Annotation.author),
            joinedload(Annotation.block),
            joinedload(Annotation.article),
        )
        .where(Annotation.id == annotation_id)
    )
    if annotation is None or not permissions.can_view_annotation(actor, annotation):
        raise NotFound("No such annotation.")
    return annotation
