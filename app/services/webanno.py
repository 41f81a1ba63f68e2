"""W3C Web Annotation (JSON-LD): a discussion out as an AnnotationCollection, and back in.

Each annotation's target is the article, selected by its block (a FragmentSelector naming the
anchor) refined by a TextQuoteSelector and a TextPositionSelector when it quotes; a reply
targets the annotation it answers. The kind is a motivation (`commenting`, `questioning`,
`assessing`, `replying`) and, exactly, the `cp:stance` extension property in the app's own
namespace. Importing checks every item first and creates nothing unless all of them are sound.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import contains_eager

from app import permissions
from app.extensions import db
from app.models import (
    Annotation,
    AnnotationKind,
    Article,
    Block,
    Group,
    Membership,
    MembershipStatus,
    User,
)
from app.models.annotation import MAX_BODY
from app.services import exports, reading
from app.services.annotations import NewAnnotation, Quote, post_annotation
from app.services.errors import Forbidden, ValidationFailed

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
JSONLD = f'application/ld+json; profile="{ANNO_CONTEXT}"'  # the media type of an export
PAGE_SIZE = 500
MAX_IMPORT = 5_000
MOTIVATION = {
    AnnotationKind.COMMENT: "commenting",
    AnnotationKind.QUESTION: "questioning",
    AnnotationKind.SUPPORT: "assessing",
    AnnotationKind.COUNTERARGUMENT: "assessing",
}
KIND_OF_MOTIVATION = {"commenting": AnnotationKind.COMMENT, "questioning": AnnotationKind.QUESTION}


@dataclass(frozen=True)
class Site:
    """Where the app lives (its external root URL), so ids and sources are absolute IRIs."""

    root: str  # ends with "/"

    @property
    def namespace(self) -> str:
        return f"{self.root}ns#"

    def context(self) -> list[Any]:
        return [ANNO_CONTEXT, {"cp": self.namespace}]

    def annotation(self, annotation_id: int) -> str:
        return f"{self.root}annotations/{annotation_id}"

    def article(self, slug: str) -> str:
        return f"{self.root}articles/{slug}"


# --- export -------------------------------------------------------------------------------


def exported(user: Any, article: Article, group: Group | None) -> ColumnElement[bool]:
    """A discussion's annotations that `user` may read in full: the group's or the public one
    (private notes are never part of a discussion's export), visible ones only."""
    return exports.discussion_scope(user, group, article) & permissions.counted_annotations(user)


def quote_position(text: str, exact: str, prefix: str, suffix: str) -> tuple[int, int] | None:
    """Where the quote lies in the block's text (code points), its context choosing a repeat."""
    for needle, offset in ((prefix + exact + suffix, len(prefix)), (prefix + exact, len(prefix))):
        at = text.find(needle) if needle != exact else -1
        if at >= 0:
            return at + offset, at + offset + len(exact)
    at = text.find(exact)
    return (at, at + len(exact)) if at >= 0 else None


def annotation_ld(note: Annotation, site: Site) -> dict[str, Any]:
    """One annotation (author and block loaded) as a W3C Web Annotation."""
    reply = note.parent_id is not None
    doc: dict[str, Any] = {
        "id": site.annotation(note.id),
        "type": "Annotation",
        "motivation": "replying" if reply else MOTIVATION[AnnotationKind(note.kind)],
        "cp:stance": note.kind,
        "created": exports.iso(note.created_at),
        "modified": exports.iso(note.updated_at),
        "creator": {
            "type": "Person",
            "nickname": note.author.username,
            "name": note.author.display_name,
        },
        "body": {
            "type": "TextualBody",
            "value": note.body,
            "format": "text/markdown",
            "purpose": "replying" if reply else MOTIVATION[AnnotationKind(note.kind)],
        },
    }
    if reply:
        doc["target"] = site.annotation(note.parent_id)  # type: ignore[arg-type]
        return doc
    block = _block_selector(note.block)
    selectors: list[dict[str, Any]] = [block]
    if note.quote_exact is not None:
        prefix, suffix = note.quote_prefix or "", note.quote_suffix or ""
        quote = {"type": "TextQuoteSelector", "exact": note.quote_exact}
        quote |= {"prefix": prefix} if prefix else {}
        quote |= {"suffix": suffix} if suffix else {}
        selectors = [{**block, "refinedBy": quote}]
        span = quote_position(note.block.text, note.quote_exact, prefix, suffix)
        if span is not None:
            position = {"type": "TextPositionSelector", "start": span[0], "end": span[1]}
            selectors.append({**block, "refinedBy": position})
    doc["target"] = {
        "source": site.article(note.article.slug),
        "selector": selectors[0] if len(selectors) == 1 else selectors,
    }
    return doc


def _block_selector(block: Block) -> dict[str, Any]:
    return {
        "type": "FragmentSelector",
        "conformsTo": "http://tools.ietf.org/rfc/rfc3986",
        "value": block.anchor,
    }


def count_exported(scope: ColumnElement[bool]) -> int:
    return int(db.session.scalar(select(func.count()).select_from(Annotation).where(scope)) or 0)


def _page_items(scope: ColumnElement[bool], page: int, site: Site) -> Iterator[dict[str, Any]]:
    for note in _page_notes(scope, page):
        yield annotation_ld(note, site)


def _page_notes(scope: ColumnElement[bool], page: int) -> Iterator[Annotation]:
    stmt = (
        select(Annotation)
        .join(Annotation.author)
        .join(Annotation.block)
        .join(Annotation.article)
        .options(
            contains_eager(Annotation.author),
            contains_eager(Annotation.block),
            contains_eager(Annotation.article),
        )
        .where(scope)
        .order_by(Annotation.id)
        .offset(page * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    yield from db.session.scalars(stmt)


def collection_ld(
    scope: ColumnElement[bool], site: Site, collection_id: str, label: str
) -> dict[str, Any]:
    """The AnnotationCollection, its first page embedded (later pages: page_ld)."""
    total = count_exported(scope)
    pages = max(1, -(-total // PAGE_SIZE))
    doc: dict[str, Any] = {
        "@context": site.context(),
        "id": collection_id,
        "type": "AnnotationCollection",
        "label": label,
        "total": total,
    }
    if total:
        doc["first"] = page_ld(scope, site, collection_id, 0, total, embedded=True)
        doc["last"] = _page_id(collection_id, pages - 1)
    return doc


def page_ld(
    scope: ColumnElement[bool],
    site: Site,
    collection_id: str,
    page: int,
    total: int | None = None,
    embedded: bool = False,
) -> dict[str, Any]:
    """One AnnotationPage of PAGE_SIZE annotations (the first is embedded in the collection)."""
    total = count_exported(scope) if total is None else total
    doc: dict[str, Any] = {} if embedded else {"@context": site.context()}
    doc |= {"id": _page_id(collection_id, page), "type": "AnnotationPage"}
    if not embedded:
        doc["partOf"] = {"id": collection_id, "total": total}
    doc["startIndex"] = page * PAGE_SIZE
    doc["items"] = list(_page_items(scope, page, site))
    if (page + 1) * PAGE_SIZE < total:
        doc["next"] = _page_id(collection_id, page + 1)
    if page > 0:
        doc["prev"] = _page_id(collection_id, page - 1)
    return doc


def authored_ld(user: User, site: Site, collection_id: str) -> dict[str, Any]:
    """Every annotation `user` wrote, whatever its visibility or status, as one collection
    with all of its pages embedded (a download, so nothing is left behind a link).

    They are the author's own words; each also says its `cp:visibility` and `cp:status`.
    Nothing of anyone else's is in it: a reply's target is only the IRI of what it answers.
    """
    scope = Annotation.author_id == user.id
    total = count_exported(scope)
    doc: dict[str, Any] = {
        "@context": site.context(),
        "id": collection_id,
        "type": "AnnotationCollection",
        "label": f"Everything {user.username} wrote",
        "total": total,
    }
    holder, key = doc, "first"
    for page in range(-(-total // PAGE_SIZE)):
        items = [
            annotation_ld(note, site) | {"cp:visibility": note.visibility, "cp:status": note.status}
            for note in _page_notes(scope, page)
        ]
        node = {"id": _page_id(collection_id, page), "type": "AnnotationPage"}
        holder[key] = node | {"startIndex": page * PAGE_SIZE, "items": items}
        holder, key = holder[key], "next"
    if total:
        doc["last"] = _page_id(collection_id, -(-total // PAGE_SIZE) - 1)
    return doc


def _page_id(collection_id: str, page: int) -> str:
    return f"{collection_id}{'&' if '?' in collection_id else '?'}page={page}"


# --- import -------------------------------------------------------------------------------


@dataclass
class Planned:
    """One item of an import, checked and resolved, waiting to be created."""

    index: int
    source_id: str | None
    parent_source_id: str | None
    anchor: str | None
    kind: str
    body: str
    quote: Quote | None
    author: User
    created: datetime | None
    modified: datetime | None


@dataclass(frozen=True)
class Imported:
    created: list[tuple[int, int]]  # (index in the document, new annotation id)


def _items_of(doc: Any) -> list[Any]:
    """The annotations of a collection (its embedded pages), a page, a list, or one."""
    if isinstance(doc, list):
        return doc
    if not isinstance(doc, dict):
        raise ValidationFailed("Send a JSON-LD AnnotationCollection, AnnotationPage or Annotation.")
    types = _types(doc)
    if "AnnotationCollection" in types:
        items: list[Any] = []
        page = doc.get("first")
        while isinstance(page, dict):
            if not isinstance(page.get("items"), list):
                raise ValidationFailed("An AnnotationPage has no `items` list.")
            items += page["items"]
            page = page.get("next")
        if isinstance(page, str):
            raise ValidationFailed(
                "Embed every AnnotationPage in the document: linked pages are not fetched.",
                {"first": "The pages after the first must be embedded as `next` objects."},
            )
        return items
    if "AnnotationPage" in types:
        items = doc.get("items")
        if not isinstance(items, list):
            raise ValidationFailed("The AnnotationPage has no `items` list.")
        return items
    return [doc]


def _types(node: dict[str, Any]) -> list[Any]:
    kind = node.get("type", node.get("@type"))
    return kind if isinstance(kind, list) else [kind]


class ItemError(Exception):
    pass


def import_collection(
    actor: User, article: Article, group: Group | None, doc: Any, site: Site
) -> Imported:
    """Recreate the document's annotations on `article` (in `group`, or the public discussion).

    Every item is checked first; one bad item (another article, a selector that matches
    nothing, no body) refuses the whole import with each problem named by its index.
    """
    if not permissions.can_import_annotations(actor, group):
        raise Forbidden("Only the group's instructors (or, for the public discussion, site "
                        "admins) may import annotations.")  # fmt: skip
    items = _items_of(doc)
    if not items:
        raise ValidationFailed(
            "The document holds no annotations.", {"items": "Nothing to import."}
        )
    if len(items) > MAX_IMPORT:
        raise ValidationFailed(
            "Too many annotations in one import.", {"items": f"At most {MAX_IMPORT:,}."}
        )
    blocks = {b.anchor: b for b in reading.list_blocks(article)}  # current text only
    authors = _authors(items, group)
    plans: list[Planned] = []
    problems: dict[str, str] = {}
    for index, item in enumerate(items):
        try:
            plans.append(_plan(index, item, article, blocks, authors, actor))
        except ItemError as exc:
            problems[f"items[{index}]"] = str(exc)
    known = {p.source_id for p in plans if p.source_id}
    for plan in plans:
        if plan.parent_source_id is not None and plan.parent_source_id not in known:
            problems[f"items[{plan.index}]"] = (
                "It replies to an annotation that is not in the document."
            )
    if problems:
        raise ValidationFailed(
            f"Nothing was imported: {len(problems)} of {len(items)} annotations have problems.",
            problems,
        )
    return Imported(_create(actor, article, group, plans))


def _authors(items: list[Any], group: Group | None) -> dict[str, User]:
    """The creators named in the document who may write in the discussion (one statement)."""
    creators = [item.get("creator") for item in items if isinstance(item, dict)]
    nicknames = [c.get("nickname") for c in creators if isinstance(c, dict)]
    names = {n for n in nicknames if isinstance(n, str) and n}
    if not names:
        return {}
    stmt = select(User).where(User.username.in_(names))
    if group is not None:
        stmt = stmt.join(Membership, Membership.user_id == User.id).where(
            Membership.group_id == group.id, Membership.status == MembershipStatus.ACTIVE
        )
    return {u.username: u for u in db.session.scalars(stmt)}


def _plan(
    index: int,
    item: Any,
    article: Article,
    blocks: dict[str, Block],
    authors: dict[str, User],
    actor: User,
) -> Planned:
    if not isinstance(item, dict) or "Annotation" not in _types(item):
        raise ItemError('Not an Annotation (its `type` must be "Annotation").')
    body = _body_text(item)
    kind = _kind(item)
    source_id = item.get("id") if isinstance(item.get("id"), str) else None
    target = item.get("target")
    if isinstance(target, list) and len(target) == 1:
        target = target[0]
    creator = item.get("creator")
    nickname = creator.get("nickname") if isinstance(creator, dict) else None
    author = authors.get(nickname, actor) if isinstance(nickname, str) else actor
    created, modified = _when(item.get("created")), _when(item.get("modified"))
    if isinstance(target, str):  # a reply: the annotation it answers, by its id
        return Planned(index, source_id, target, None, kind, body, None, author, created, modified)
    if not isinstance(target, dict):
        raise ItemError("It has no target: name the article and the paragraph.")
    _check_source(target.get("source"), article)
    anchor, quote = _selection(target.get("selector"), blocks)
    return Planned(index, source_id, None, anchor, kind, body, quote, author, created, modified)


def _body_text(item: dict[str, Any]) -> str:
    body = item.get("body")
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    value = body.get("value") if isinstance(body, dict) else item.get("bodyValue")
    if not isinstance(value, str) or not value.strip():
        raise ItemError("It has no text: a TextualBody with a `value` is needed.")
    if len(value.strip()) > MAX_BODY or "\x00" in value:
        raise ItemError(f"Its text is over {MAX_BODY:,} characters or holds a NUL.")
    return value


def _kind(item: dict[str, Any]) -> str:
    stance = item.get("cp:stance")
    if stance is not None:
        if not isinstance(stance, str) or stance not in set(AnnotationKind):
            raise ItemError(f"Unknown stance {stance!r}: one of {', '.join(AnnotationKind)}.")
        return stance
    motivation = item.get("motivation")
    motivation = motivation[0] if isinstance(motivation, list) and motivation else motivation
    if not isinstance(motivation, str):
        return AnnotationKind.COMMENT
    return KIND_OF_MOTIVATION.get(motivation, AnnotationKind.COMMENT)


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _check_source(source: Any, article: Article) -> None:
    iri = source.get("id") if isinstance(source, dict) else source
    if not isinstance(iri, str):
        raise ItemError("Its target has no `source` (the article's URL).")
    path = urlsplit(iri).path.rstrip("/")
    if path.rsplit("/", 1)[-1] != article.slug or not path.endswith(f"/articles/{article.slug}"):
        raise ItemError(f"It annotates another article ({iri}), not {article.slug!r}.")


def _selection(selector: Any, blocks: dict[str, Block]) -> tuple[str, Quote | None]:
    """The paragraph and quote a target's selectors pick out. Several selectors describe the
    same text in different ways: each must match, and all the same paragraph."""
    options = selector if isinstance(selector, list) else [selector]
    if not options:
        raise ItemError("Its target has no selector.")
    found = [_one_selection(option, blocks) for option in options]
    if len({anchor for anchor, _ in found}) > 1:
        raise ItemError("Its selectors point at different paragraphs.")
    quotes = [quote for _, quote in found if quote is not None]
    return found[0][0], quotes[0] if quotes else None


def _one_selection(selector: Any, blocks: dict[str, Block]) -> tuple[str, Quote | None]:
    if not isinstance(selector, dict):
        raise ItemError("Its target has no selector.")
    kind = selector.get("type")
    if kind == "FragmentSelector":
        anchor = selector.get("value")
        block = blocks.get(anchor) if isinstance(anchor, str) else None
        if block is None:
            raise ItemError(f"Its selector names no paragraph of this article ({anchor!r}).")
        refined = selector.get("refinedBy")
        return block.anchor, _refine(block, refined) if refined is not None else None
    if kind == "TextQuoteSelector":
        for block in blocks.values():
            quote = _quote_in(block, selector)
            if quote is not None:
                return block.anchor, quote
        raise ItemError("Its quote occurs nowhere in this article.")
    raise ItemError(f"Unsupported selector {kind!r}: use a FragmentSelector naming a paragraph.")


def _refine(block: Block, refined: Any) -> Quote | None:
    if not isinstance(refined, dict):
        raise ItemError("Its `refinedBy` is not a selector.")
    if refined.get("type") == "TextQuoteSelector":
        quote = _quote_in(block, refined)
        if quote is None:
            raise ItemError(f"Its quote does not occur in paragraph {block.anchor!r}.")
        return quote
    if refined.get("type") == "TextPositionSelector":
        start, end = refined.get("start"), refined.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
            raise ItemError("Its TextPositionSelector needs 0 ≤ start < end.")
        if end > len(block.text):
            raise ItemError(f"Its position lies beyond paragraph {block.anchor!r}.")
        return Quote(block.text[start:end], block.text[max(0, start - 32) : start],
                     block.text[end : end + 32])  # fmt: skip
    raise ItemError(f"Unsupported refinement {refined.get('type')!r}.")


def _quote_in(block: Block, selector: dict[str, Any]) -> Quote | None:
    exact = selector.get("exact")
    if not isinstance(exact, str) or not exact or exact not in block.text:
        return None
    prefix, suffix = selector.get("prefix", ""), selector.get("suffix", "")
    return Quote(exact, prefix if isinstance(prefix, str) else "",
                 suffix if isinstance(suffix, str) else "")  # fmt: skip


def _create(
    actor: User, article: Article, group: Group | None, plans: list[Planned]
) -> list[tuple[int, int]]:
    """Create the planned annotations, parents before their replies."""
    new_ids: dict[str, tuple[int, str]] = {}  # source id -> (new id, its block's anchor)
    created: list[tuple[int, int]] = []
    waiting = list(plans)
    while waiting:
        later = []
        for plan in waiting:  # in the document's order, a reply after what it answers
            if plan.parent_source_id is not None and plan.parent_source_id not in new_ids:
                later.append(plan)
                continue
            note = _create_one(actor, article, group, plan, new_ids)
            if plan.source_id:
                new_ids[plan.source_id] = (note.id, note.block.anchor)
            created.append((plan.index, note.id))
        if len(later) == len(waiting):
            raise ValidationFailed(
                "Nothing was imported: some replies answer each other in a circle.",
                {f"items[{p.index}]": "Its replies never reach a paragraph." for p in later},
            )
        waiting = later
    return sorted(created)


def _create_one(
    actor: User,
    article: Article,
    group: Group | None,
    plan: Planned,
    new_ids: dict[str, tuple[int, str]],
) -> Annotation:
    parent_id, anchor = None, plan.anchor
    if plan.parent_source_id:  # a reply sits on its parent's block
        parent_id, anchor = new_ids[plan.parent_source_id]
    data = NewAnnotation(
        anchor=anchor or "",
        kind=plan.kind,
        body=plan.body,
        parent_id=parent_id,
        quote=plan.quote,
        group_slug=group.slug if group is not None and parent_id is None else None,
    )
    try:
        note = post_annotation(plan.author, article, data)
    except ValidationFailed as exc:
        raise ValidationFailed(
            f"Nothing was imported: item {plan.index} was refused ({exc.message})",
            {f"items[{plan.index}]": exc.message, **exc.fields},
        ) from None
    if plan.created is not None:
        db.session.execute(
            update(Annotation)
            .where(Annotation.id == note.id)
            .values(created_at=plan.created, updated_at=plan.modified or plan.created)
        )
    return note
