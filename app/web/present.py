"""View-models and template helpers for the pages: labels, times, and what the viewer may do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import url_for
from flask_wtf import FlaskForm

from app import permissions
from app.models import Annotation, AnnotationKind, AnnotationStatus, Block

KINDS = tuple(AnnotationKind)
KIND_LABELS = {
    "comment": ("Comment", "comments", "comment"),
    "counterargument": ("Counterargument", "counterarguments", "counterargument"),
    "question": ("Question", "questions", "question"),
    "support": ("Support", "supporting", "supporting"),
}
# Indentation stops growing here so a deep thread stays readable on a phone.
MAX_INDENT = 4


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, (kind.capitalize(), kind, kind))[0]


def kind_noun(kind: str, n: int) -> str:
    """The word after a count: 'question' for 1, 'questions' for 3, 'supporting' for 2."""
    _, plural, singular = KIND_LABELS.get(kind, (kind, kind, kind))
    return singular if n == 1 else plural


def ago(moment: datetime, now: datetime | None = None) -> str:
    """A short relative time for the last week, a date for older moments."""
    now = now or datetime.now(UTC)
    seconds = int((now - moment).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size, below in (("minute", 60, 3600), ("hour", 3600, 86400), ("day", 86400, 604800)):
        if seconds < below:
            n = seconds // size
            return f"{n} {unit}{'' if n == 1 else 's'} ago"
    return (
        f"{moment.day} {moment:%b %Y}" if moment.year != now.year else f"{moment.day} {moment:%b}"
    )


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def http_url(url: str | None) -> str | None:
    """`url` if it is an absolute http(s) link, else None: no javascript: or relative links."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def host_of(url: str) -> str:
    return urlsplit(url).netloc.removeprefix("www.")


def safe_next(target: str | None) -> str | None:
    """A same-site path to go back to after signing in, or None for anything else.

    Only a path starting with exactly one "/" is accepted: "//host", "/\\host", schemes and
    control characters could all send the browser to another site.
    """
    if not target or len(target) > 2000 or not target.startswith("/"):
        return None
    if target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 32 or ch.isspace() for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@dataclass
class Discussion:
    """What the annotation macros need to draw one block's annotations for one viewer."""

    viewer: Any
    slug: str
    anchor: str
    # ("reply" | "edit", annotation id) whose form is open, with the form when it failed.
    open_form: tuple[str, int] | None = None
    form: FlaskForm | None = None
    page_url: str = field(init=False)
    post_url: str = field(init=False)

    def __post_init__(self) -> None:
        self.page_url = url_for("web.block", slug=self.slug, anchor=self.anchor)
        self.post_url = url_for("web.post_annotation", slug=self.slug, anchor=self.anchor)

    def indent(self, depth: int) -> int:
        return min(depth, MAX_INDENT)

    def show_body(self, annotation: Annotation) -> bool:
        return permissions.can_see_body(self.viewer, annotation)

    def placeholder(self, annotation: Annotation) -> str:
        if annotation.status == AnnotationStatus.DELETED:
            return "[deleted]"
        if annotation.status == AnnotationStatus.PENDING:
            return "[awaiting a moderator’s approval]"
        return "[hidden by a moderator]"

    def can_reply(self, annotation: Annotation) -> bool:
        return (
            permissions.can_post(self.viewer)
            and annotation.status == AnnotationStatus.VISIBLE
            and not annotation.locked
        )

    def can_edit(self, annotation: Annotation) -> bool:
        return permissions.can_edit_annotation(self.viewer, annotation)

    def can_delete(self, annotation: Annotation) -> bool:
        return permissions.can_delete_annotation(self.viewer, annotation)

    def is_open(self, what: str, annotation: Annotation) -> bool:
        return self.open_form == (what, annotation.id)

    def form_for(self, what: str, annotation: Annotation) -> FlaskForm | None:
        return self.form if self.is_open(what, annotation) else None

    def action_url(self, what: str, annotation: Annotation) -> str:
        return f"{self.page_url}?{what}={annotation.id}#a-{annotation.id}"


@dataclass(frozen=True)
class Aside:
    """A "Related" note: its own label ("Related article") when the text starts with one."""

    label: str
    text: str

    @classmethod
    def of(cls, text: str) -> Aside:
        head, colon, rest = text.partition(":")
        if colon and head.lower().startswith("related") and len(head) <= 30 and rest.strip():
            return cls(head.strip(), rest.strip())
        return cls("Related", text)


@dataclass(frozen=True)
class BlockView:
    """One block of the article page with everything drawn beside it."""

    block: Block
    counts: dict[str, int]
    quotes: list[str]
    previews: list[Annotation]
    asides: list[Aside]
    ctx: Discussion

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def total(counts: dict[str, int]) -> int:
    return sum(counts.values())


TEMPLATE_FILTERS = {
    "ago": ago,
    "iso": iso,
    "kind_label": kind_label,
    "kind_noun": kind_noun,
    "http_url": http_url,
    "host_of": host_of,
    "total": total,
}
