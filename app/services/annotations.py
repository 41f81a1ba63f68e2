"""Writing annotations: post, reply, edit, delete, with the rules every client shares."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app import permissions
from app.extensions import db
from app.importing.reanchor import locate
from app.models import (
    Annotation,
    AnnotationKind,
    AnnotationStatus,
    Article,
    Block,
    Group,
    Premoderation,
    Reading,
    User,
    Visibility,
)
from app.models.annotation import MAX_BODY, MAX_DEPTH
from app.models.base import utcnow
from app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.services.mentions import mention_links, notify_mentions
from app.services.moderation import moderate_annotation
from app.services.threads import became_visible, set_status
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
    private: bool = False  # a note for its author alone
    group_slug: str | None = None


@dataclass(frozen=True)
class Audience:
    """Who an annotation is for: its visibility and, for a group annotation, the group."""

    visibility: str
    group: Group | None = None


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
        select(Block).where(
            Block.article_id == article.id, Block.anchor == anchor, Block.retired.is_(False)
        )
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
    # CONTRACT §4: a lock refuses every reply, its moderators' too (they unlock first).
    if _locked(parent):
        raise Conflict("This thread is locked; it takes no new replies.")
    if parent.depth + 1 > MAX_DEPTH:
        raise ValidationFailed("The thread is too deep.", {"parent": "Reply higher up."})
    return parent


LOCKED_EDIT = "This thread is locked: it is read-only until a moderator unlocks it."


def _locked(annotation: Annotation) -> bool:
    """Whether the annotation or any annotation above it is locked (at most one query)."""
    if annotation.locked:
        return True
    if annotation.parent_id is None:
        return False
    # The whole thread's (id, parent, locked) in one query, rather than one per ancestor.
    thread = db.session.execute(
        select(Annotation.id, Annotation.parent_id, Annotation.locked).where(
            Annotation.root_id == annotation.root_id
        )
    )
    up = {row.id: (row.parent_id, row.locked) for row in thread}
    node = annotation.parent_id
    while node is not None and node in up:
        node, locked = up[node]
        if locked:
            return True
    return False


def _audience(
    actor: User, article: Article, data: NewAnnotation, parent: Annotation | None
) -> Audience:
    if parent is not None:
        if data.private and parent.visibility != Visibility.PRIVATE:
            raise ValidationFailed(
                "A reply cannot be private.", {"private": "A reply shares its parent's visibility."}
            )
        group = db.session.get(Group, parent.group_id) if parent.group_id else None
        if data.group_slug is not None and (group is None or group.slug != data.group_slug):
            raise ValidationFailed(
                "A reply belongs to its parent's discussion.",
                {"group": "Replies share their parent's visibility; leave the group out."},
            )
        audience = Audience(parent.visibility, group)
    elif data.private:
        if data.group_slug is not None:
            raise ValidationFailed(
                "A note is either private or for a group.", {"private": "Choose one."}
            )
        return Audience(Visibility.PRIVATE)
    elif data.group_slug is not None:
        audience = Audience(Visibility.GROUP, _group_for_posting(actor, article, data.group_slug))
    else:
        return Audience(Visibility.PUBLIC)
    if audience.group is not None:
        _check_can_post_to(actor, audience.group)
    return audience


def _group_for_posting(actor: User, article: Article, slug: str) -> Group:
    group = db.session.scalar(select(Group).where(Group.slug == slug))
    if group is None or permissions.membership(actor, group.id) is None:
        raise ValidationFailed("Unknown group.", {"group": "You are not in a group by that name."})
    is_reading = db.session.scalar(
        select(Reading.id).where(Reading.group_id == group.id, Reading.article_id == article.id)
    )
    if is_reading is None:
        raise ValidationFailed(
            "This article is not one of the group's readings.",
            {"group": "The group's instructor has not assigned this article."},
        )
    return group


def _check_can_post_to(actor: User, group: Group) -> None:
    if group.is_archived:
        raise Conflict("This group is archived; its discussion is read-only.")
    until = permissions.suspended_until(actor, group)
    if until is not None:
        raise Forbidden(
            f"You are suspended from posting in this group until {until:%Y-%m-%d %H:%M} UTC."
        )


def _initial_status(actor: User, audience: Audience) -> str:
    """Pre-moderated groups hold a post until an instructor approves it."""
    group = audience.group
    if group is None or group.premoderation == Premoderation.OFF:
        return AnnotationStatus.VISIBLE
    member = permissions.membership(actor, group.id)
    if member is None or member.is_instructor:
        return AnnotationStatus.VISIBLE
    if group.premoderation == Premoderation.ALL:
        return AnnotationStatus.PENDING
    held = member.approved_posts < group.premoderation_posts
    return AnnotationStatus.PENDING if held else AnnotationStatus.VISIBLE


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


def post_annotation(
    actor: User, article: Article, data: NewAnnotation, block: Block | None = None
) -> Annotation:
    """Attach a new annotation (or a reply) to a block of `article`.

    `block`: the block `data.anchor` names, when the caller loaded it with the article.
    """
    if not permissions.can_post(actor):
        raise Forbidden("Sign in to take part.")
    body = clean_body(data.body)
    kind = check_kind(data.kind)
    if (
        block is None
        or block.article_id != article.id
        or block.anchor != data.anchor
        or block.retired
    ):
        block = _block(article, data.anchor)
    parent = _parent(actor, block, data.parent_id) if data.parent_id is not None else None
    quote = _check_quote(block, data.quote) if data.quote is not None else None
    where = locate(block.text, quote.exact, quote.prefix, quote.suffix) if quote else None
    audience = _audience(actor, article, data, parent)
    annotation = Annotation(
        article_id=article.id,
        block_id=block.id,
        parent_id=parent.id if parent else None,
        root_id=parent.root_id if parent else None,
        depth=parent.depth + 1 if parent else 0,
        author_id=actor.id,
        kind=kind,
        body=body,
        body_html=render_markdown(body, mention_links(body)),
        quote_exact=quote.exact if quote else None,
        quote_prefix=quote.prefix if quote else None,
        quote_suffix=quote.suffix if quote else None,
        quote_start=where[0] if where else None,
        quote_end=where[1] if where else None,
        quote_current=None,
        orphaned=False,
        visibility=audience.visibility,
        group_id=audience.group.id if audience.group else None,
        status=_initial_status(actor, audience),
        moderation_reason=None,  # loaded as NULL by the flush, so presenting it reads nothing
    )
    db.session.add(annotation)
    db.session.flush()  # the flush hook raises the article's version (services/versions.py)
    if annotation.root_id is None:
        _root_itself(annotation)
    # The caller presents it straight away: give it what it was built from, without queries.
    given = {"author": actor, "block": block, "article": article, "parent": parent}
    for relation, value in (given | {"group": audience.group}).items():
        set_committed_value(annotation, relation, value)
    if annotation.status == AnnotationStatus.VISIBLE:
        became_visible(annotation, actor)
    db.session.flush()  # what became_visible added (a reply's notification, mentions)
    return annotation


def _root_itself(annotation: Annotation) -> None:
    """A thread's first note is its own root, which only its new id says.

    One UPDATE by primary key, not a second flush of the unit of work: that flush cost more
    than the rest of posting's SQL together, while the write lock was held. The flush just
    made has raised the article's version in this transaction, so nothing is left for the
    versions hook to see (app/services/versions.py lists this write).
    """
    db.session.connection().execute(_OWN_ROOT, {"note": annotation.id})
    set_committed_value(annotation, "root_id", annotation.id)


# Built once, run on the session's connection: the ORM's UPDATE path costs more than the write.
_annotations = Annotation.__table__
_OWN_ROOT = (
    update(_annotations)
    .where(_annotations.c.id == bindparam("note"))
    .values(root_id=bindparam("note"))
)


def edit_annotation(
    actor: User, annotation: Annotation, body: str | None = None, kind: str | None = None
) -> Annotation:
    """Change the body and/or kind; the author alone may, and not inside a locked thread."""
    if not permissions.can_edit_annotation(actor, annotation, _locked(annotation)):
        if permissions.can_edit_annotation(actor, annotation, thread_locked=False) or (
            annotation.locked and annotation.author_id == actor.id
        ):
            raise Conflict(LOCKED_EDIT)  # its author, kept out by a lock
        raise Forbidden(permissions.REFUSALS[permissions.can_edit_annotation])
    if body is None and kind is None:
        raise ValidationFailed("Nothing to change.", {"body": "Send a body or a kind."})
    if body is not None:
        before, annotation.body = annotation.body, clean_body(body)
        annotation.body_html = render_markdown(annotation.body, mention_links(annotation.body))
        if annotation.status == AnnotationStatus.VISIBLE:
            notify_mentions(annotation, actor, before)  # those newly named
    if kind is not None:
        annotation.kind = check_kind(kind)
    annotation.updated_at = utcnow()
    db.session.flush()
    return annotation


def delete_annotation(actor: User, annotation: Annotation) -> None:
    """Mark deleted: replies keep their place under a 'deleted' placeholder."""
    if annotation.status == AnnotationStatus.DELETED:
        raise Conflict("This annotation is already deleted.")
    permissions.ensure(permissions.can_delete_annotation, actor, annotation)
    if annotation.author_id != actor.id:
        # A moderator's delete is a moderation action: logged and undoable.
        moderate_annotation(actor, annotation, "delete")
        return
    annotation.updated_at = utcnow()
    set_status(annotation, AnnotationStatus.DELETED)


def get_annotation(actor: User | None, annotation_id: int) -> Annotation:
    """The annotation if `actor` may know it exists; NotFound otherwise (never 403)."""
    annotation = db.session.scalar(
        select(Annotation)
        .options(
            joinedload(Annotation.author),
            joinedload(Annotation.block),
            joinedload(Annotation.article),
            joinedload(Annotation.group),
        )
        .where(Annotation.id == annotation_id)
    )
    if annotation is None or not permissions.can_view_annotation(actor, annotation):
        raise NotFound("No such annotation.")
    return annotation


def mark_answer(actor: User, reply: Annotation, answers: bool = True) -> Annotation:
    """Mark a direct reply to a question as (or no longer as) its answer; the question's
    author or its moderators may. Several replies may each answer part of it."""
    question = db.session.get(Annotation, reply.parent_id) if reply.parent_id else None
    if question is None or question.kind != AnnotationKind.QUESTION:
        raise ValidationFailed("Only a reply to a question can be its answer.")
    if not permissions.can_mark_answer(actor, reply, question):
        raise Forbidden("Only the one who asked (or an instructor) can choose the answer.")
    reply.is_answer = answers
    db.session.flush()
    return reply
