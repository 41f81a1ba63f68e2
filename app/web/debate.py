"""The debate view of a paragraph: its claim on top, the points for and against it beside
each other, questions and comments aside, each point a debate of its own to any depth.

Drawn from the same threads as the thread view (no further query), so it works without JS.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import request

from app.models import Annotation, AnnotationKind, AnnotationStatus
from app.routing import parse_id
from app.services.reading import ThreadNode

# The columns, in the order they are drawn: how a reply relates to what it answers.
COLUMNS = (
    (AnnotationKind.SUPPORT, "Supporting", "supports"),
    (AnnotationKind.COUNTERARGUMENT, "Counterarguments", "counters"),
    (AnnotationKind.QUESTION, "Questions", "asks"),
    (AnnotationKind.COMMENT, "Comments", "comments on"),
)
VERBS = {kind: verb for kind, _, verb in COLUMNS}


@dataclass(frozen=True)
class Column:
    kind: str
    title: str
    nodes: list[ThreadNode]


def columns(nodes: list[ThreadNode]) -> list[Column]:
    """The points of one level of a debate by kind (a column may be empty)."""
    return [
        Column(kind, title, [n for n in nodes if n.annotation.kind == kind])
        for kind, title, _ in COLUMNS
    ]


def stance(nodes: list[ThreadNode]) -> str:
    """'2 for, 1 against, 1 question': what a point's own debate holds, in words."""
    counted = {kind: sum(1 for n in nodes if n.annotation.kind == kind) for kind, _, _ in COLUMNS}
    words = (
        (AnnotationKind.SUPPORT, "for", "for"),
        (AnnotationKind.COUNTERARGUMENT, "against", "against"),
        (AnnotationKind.QUESTION, "question", "questions"),
        (AnnotationKind.COMMENT, "comment", "comments"),
    )
    parts = [
        f"{counted[k]} {one if counted[k] == 1 else many}" for k, one, many in words if counted[k]
    ]
    return ", ".join(parts)


def open_questions(nodes: list[ThreadNode]) -> int:
    """Questions at this level that no reply answers yet."""
    return sum(
        1
        for n in nodes
        if n.annotation.kind == AnnotationKind.QUESTION
        and n.annotation.status == AnnotationStatus.VISIBLE
        and not any(r.annotation.is_answer for r in n.replies)
    )


@dataclass(frozen=True)
class DebateView:
    """What the page draws in debate view: the points under the claim, and the claim itself
    (`focus`: a point made the claim of its own debate; None: the paragraph)."""

    nodes: list[ThreadNode]
    focus: ThreadNode | None
    trail: list[Annotation]  # the points from the paragraph down to the focus
    quote: str | None

    columns = staticmethod(columns)
    stance = staticmethod(stance)
    open_questions = staticmethod(open_questions)

    @staticmethod
    def verb(kind: str) -> str:
        return VERBS.get(kind, kind)  # StrEnum keys: a kind's string finds its member


def _path(nodes: list[ThreadNode], target: int) -> list[ThreadNode]:
    """The nodes from a thread's top down to the one with id `target` ([] if absent)."""
    for node in nodes:
        if node.annotation.id == target:
            return [node]
        below = _path(node.replies, target)
        if below:
            return [node, *below]
    return []


def requested_view(threads: list[ThreadNode]) -> DebateView | None:
    """`?view=debate` (with `focus=<id>` or `quote=<phrase>`); None: the thread view."""
    if request.args.get("view") != "debate":
        return None
    quote = request.args.get("quote") or None
    focus_id = parse_id(request.args.get("focus"))
    path = _path(threads, focus_id) if focus_id is not None else []
    if path:
        focus = path[-1]
        return DebateView(focus.replies, focus, [n.annotation for n in path[:-1]], None)
    if quote is not None:
        threads = [n for n in threads if n.annotation.quote_exact == quote]
    return DebateView(threads, None, [], quote)
