"""View-models and template helpers for the pages: labels, times, and what the viewer may do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import url_for
from flask_wtf import FlaskForm

from app import permissions
from app.models import (
    Annotation,
    AnnotationKind,
    AnnotationStatus,
    Block,
    Feedback,
    Group,
    ModerationAction,
)
from app.services.argument import Heat, heat_of
from app.services.moderation import ACTIONS, applicable_actions

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


# What a reply's kind says about the note it answers.
RELATIONS = {
    "comment": "Comments",
    "counterargument": "Counters",
    "question": "Asks",
    "support": "Supports",
}


def relation(kind: str) -> str:
    return RELATIONS.get(kind, kind_label(kind))


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


def field_attrs(field: Any, autocomplete: str | None = None, autofocus: Any = False) -> dict:
    """A form field's extra attributes, with the absent ones left out: WTForms would write a
    None as the text "None" (aria-invalid="None", and autofocus="None" still autofocuses)."""
    attrs: dict[str, Any] = {}
    if autocomplete:
        attrs["autocomplete"] = autocomplete
    if autofocus:
        attrs["autofocus"] = True
    if field.errors:
        attrs["aria_invalid"] = "true"
        attrs["aria_describedby"] = f"{field.id}-error"
    elif field.description:
        attrs["aria_describedby"] = f"{field.id}-hint"
    return attrs


def when(moment: datetime) -> str:
    """A moment in words, for deadlines and suspensions: '4 Mar 2025, 14:30 UTC'."""
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


def posting_closed(user: Any, group: Group | None) -> str | None:
    """Why `user` cannot post in the group's discussion now; None if they can (or signed out)."""
    if group is None or not permissions.can_post(user):
        return None
    if group.is_archived:
        return f"{group.name} is archived: its discussion is read-only."
    until = permissions.suspended_until(user, group)
    if until is not None:
        return f"You are suspended from posting in {group.name} until {when(until)}."
    if not permissions.can_post_to_group(user, group):
        return f"You can read {group.name}’s discussion, but only its members post in it."
    return None


# What a moderator's button says for each action.
ACTION_LABELS: dict[str, str] = {action: rule.label for action, rule in ACTIONS.items()}


@dataclass
class Viewing:
    """How one viewer sees annotations: their bodies or placeholders, and moderation's notes."""

    viewer: Any

    def show_body(self, annotation: Annotation) -> bool:
        return permissions.can_see_body(self.viewer, annotation)

    def moderator(self, annotation: Annotation) -> str:
        """Who moderates it, as the notes about it say: a group's instructors, or the site's."""
        return "an instructor" if annotation.group_id is not None else "a moderator"

    def placeholder(self, annotation: Annotation) -> str:
        if annotation.status == AnnotationStatus.DELETED:
            return "[deleted]"
        if annotation.status == AnnotationStatus.PENDING:
            return "[awaiting approval]"
        return f"[hidden by {self.moderator(annotation)}]"

    def is_author(self, annotation: Annotation) -> bool:
        return annotation.author_id == getattr(self.viewer, "id", None)

    def indent(self, depth: int) -> int:
        return min(depth, MAX_INDENT)


@dataclass
class Discussion(Viewing):
    """What the annotation macros need to draw one block's annotations for one viewer."""

    slug: str
    anchor: str
    # ("reply" | "edit", annotation id) whose form is open, with the form when it failed.
    open_form: tuple[str, int] | None = None
    form: FlaskForm | None = None
    # The group whose discussion is shown (None: the public one), and the feedback the viewer
    # may read, by annotation id.
    group: Group | None = None
    feedback: dict[int, list[Feedback]] = field(default_factory=dict)
    # The shown annotations the viewer marked helpful (helpful.marked_ids, one query a page).
    marked: frozenset[int] = frozenset()
    flagged: frozenset[int] = frozenset()  # the shown annotations the viewer flagged
    # Drawn for `permissions.Everyone` (the shared layer): no one's controls, a plain Reply
    # link for signed-in readers, and the page's script adds each reader's own (personal.js).
    shared: bool = False
    page_url: str = field(init=False)
    post_url: str = field(init=False)
    # Why the viewer cannot post in this discussion now (None: they can, or are signed out).
    closed: str | None = field(init=False)

    def __post_init__(self) -> None:
        self.page_url = self._page()
        # The group travels in the composer's hidden field, not in the URL it posts to.
        self.post_url = url_for("web.post_annotation", slug=self.slug, anchor=self.anchor)
        self.closed = posting_closed(self.viewer, self.group)

    def _page(self, **args: Any) -> str:
        if self.group is not None:
            args["group"] = self.group.slug
        return url_for("web.block", slug=self.slug, anchor=self.anchor, **args)

    def can_reply(self, annotation: Annotation, locked: bool = False) -> bool:
        """`locked`: a note above it locks the thread."""
        return self.closed is None and permissions.can_reply(self.viewer, annotation, locked)

    def can_edit(self, annotation: Annotation, locked: bool = False) -> bool:
        """`locked`: a note above it locks the thread."""
        return permissions.can_edit_annotation(self.viewer, annotation, locked)

    def can_delete(self, annotation: Annotation) -> bool:
        """The plain Delete: an author's own; a moderator deletes from the moderation panel."""
        return permissions.can_delete_annotation(self.viewer, annotation) and (
            self.is_author(annotation) or not self.can_moderate(annotation)
        )

    def can_flag(self, annotation: Annotation) -> bool:
        """Moderators act on a note instead of flagging it to themselves (placeholders: see
        can_flag_annotation), and a note flagged once says so instead."""
        return (
            annotation.id not in self.flagged
            and permissions.can_flag_annotation(self.viewer, annotation)
            and not self.can_moderate(annotation)
        )

    def has_flagged(self, annotation: Annotation) -> bool:
        return annotation.id in self.flagged

    def can_moderate(self, annotation: Annotation) -> bool:
        return permissions.can_moderate_annotation(self.viewer, annotation)

    def can_give_feedback(self, annotation: Annotation) -> bool:
        return permissions.can_give_feedback(self.viewer, annotation)

    def can_mark_helpful(self, annotation: Annotation) -> bool:
        return permissions.can_mark_helpful(self.viewer, annotation)

    def marked_helpful(self, annotation: Annotation) -> bool:
        return annotation.id in self.marked

    def can_mark_answer(self, annotation: Annotation, parent: Annotation | None) -> bool:
        return parent is not None and permissions.can_mark_answer(self.viewer, annotation, parent)

    def actions(self, annotation: Annotation) -> list[tuple[str, str]]:
        """The moderation buttons that apply to the annotation now: (action, label)."""
        return [(a, ACTION_LABELS[a]) for a in applicable_actions(annotation)]

    def feedback_for(self, annotation: Annotation) -> list[Feedback]:
        return self.feedback.get(annotation.id, [])

    def is_open(self, what: str, annotation: Annotation) -> bool:
        return self.open_form == (what, annotation.id)

    def form_for(self, what: str, annotation: Annotation) -> FlaskForm | None:
        return self.form if self.is_open(what, annotation) else None

    def action_url(self, what: str, annotation: Annotation) -> str:
        """The no-JS way to open a form under a note (`?reply=` / `?edit=`): the page's URL
        with one more argument, not a url_for per note (the shared layer draws hundreds)."""
        joint = "&" if "?" in self.page_url else "?"
        return f"{self.page_url}{joint}{what}={annotation.id}#a-{annotation.id}"

    def back_to(self, annotation: Annotation) -> str:
        """Where a small action form (flag, moderate) returns to: this annotation, here."""
        return f"{self.page_url}#a-{annotation.id}"


# What the moderation log says each action did, after the actor's name.
# Annotation actions say it in the moderation table; member and group actions here.
LOG_VERBS: dict[str, str] = {action: rule.logged for action, rule in ACTIONS.items()} | {
    "suspend": "suspended",
    "unsuspend": "lifted the suspension of",
    "remove_member": "removed",
    "restore_member": "restored",
    "role_instructor": "made an instructor:",
    "role_member": "made a member:",
    "regenerate_code": "made a new join code",
    "archive": "archived the group",
    "unarchive": "reopened the group",
    "premoderation": "changed pre-moderation",
    "unassign_reading": "took a reading off the list",
    "rename": "renamed the group",
}
PREMODERATION_WORDS = {"off": "off", "new_members": "new members’ first posts", "all": "all posts"}


def log_verb(action: str) -> str:
    return LOG_VERBS.get(action, action.replace("_", " "))


def describe_previous(entry: ModerationAction) -> str:
    """What the entry's action replaced, in words: 'was visible', 'was not locked', ..."""
    before: dict[str, Any] = entry.previous or {}
    action = entry.action
    if action in ("lock", "unlock"):
        return "was locked" if before.get("locked") else "was not locked"
    if action in ("pin", "unpin"):
        return "was pinned" if before.get("pinned") else "was not pinned"
    if action in ("suspend", "unsuspend"):
        until = before.get("suspended_until")
        moment = datetime.fromisoformat(until) if until else None
        return f"was suspended until {when(moment)}" if moment else "was not suspended"
    if action.startswith("role_"):
        return f"was {'an instructor' if before.get('role') == 'instructor' else 'a member'}"
    if action == "premoderation":
        mode = str(before.get("premoderation", "off"))
        posts = before.get("posts")
        words = PREMODERATION_WORDS.get(mode, mode)
        return f"held {words}" + (f" ({posts})" if mode == "new_members" and posts else "")
    if action == "regenerate_code":
        return f"the code was {before.get('join_code', '?')}"
    if action in ("archive", "unarchive"):
        return "was archived" if before.get("archived") else "was open"
    if action == "unassign_reading":
        due = before.get("due_on")
        due_text = f", due {due}" if due and due != "None" else ""
        return f"“{before.get('article', '?')}” was assigned{due_text}"
    if action == "rename":
        return f"was called “{before.get('name', '?')}”"
    status = before.get("status")
    return f"was {str(status).replace('_', ' ')}" if status else ""


@dataclass(frozen=True)
class Switcher:
    """The reading page's choice of discussion: the public one or one of the reader's groups."""

    endpoint: str  # the page, "web.article" or "web.block", with its URL arguments
    args: dict[str, str]
    current: Group | None
    groups: list[Any]  # Group or GroupChoice: what has an id, a slug and a name

    @property
    def action(self) -> str:
        """The page without a group: the switcher's GET form adds `group` to it."""
        return url_for(self.endpoint, **self.args)

    def url(self, group: Group | None) -> str:
        scope = {"group": group.slug} if group is not None else {}
        return url_for(self.endpoint, **self.args, **scope)


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

    block: Any  # a Block, or a BlockCopy
    counts: dict[str, int]
    quotes: list[str]
    previews: list[Annotation]
    asides: list[Aside]
    ctx: Discussion
    number: int = 0  # its place among the blocks of its kind: "paragraph 3"
    elsewhere: int = 0  # in a group's view: the notes on it in the public discussion

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def heat(self) -> Heat:
        return heat_of(self.counts)

    @property
    def name(self) -> str:
        """How controls name the block, so each is told apart: "paragraph 3"."""
        return f"{self.block.kind} {self.number}"


@dataclass(frozen=True)
class BlockCopy:
    """What drawing a block needs of it, apart from any database session: kept with the
    shared layer for as long as its discussion version lasts (app/web/caching.py)."""

    id: int
    anchor: str
    kind: str
    level: int
    html: str

    @classmethod
    def of(cls, block: Block) -> BlockCopy:
        return cls(block.id, block.anchor, block.kind, block.level, block.html)


@dataclass(frozen=True)
class Place:
    """Where a block stands in its article, to draw it alone for one reader: the block, its
    number among blocks of its kind, and the asides that follow it."""

    block: Any  # a Block, or a BlockCopy
    number: int
    asides: list[Aside]

    @classmethod
    def of(cls, view: BlockView) -> Place:
        return cls(BlockCopy.of(view.block), view.number, view.asides)


def total(counts: dict[str, int]) -> int:
    return sum(counts.values())


TEMPLATE_FILTERS = {
    "ago": ago,
    "iso": iso,
    "kind_label": kind_label,
    "relation": relation,
    "kind_noun": kind_noun,
    "http_url": http_url,
    "host_of": host_of,
    "total": total,
    "when": when,
    "log_verb": log_verb,
    "describe_previous": describe_previous,
}
