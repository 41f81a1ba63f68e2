"""The pydantic models of the API: what requests may carry and what responses look like.

Request models validate input. Response models only document the JSON that presenters.py
builds (presenting through pydantic would double the work per item); a test checks real
responses against them, so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)

from app.api.pagination import PageQuery
from app.loaders import has_nul
from app.models import (
    AnnotationKind,
    AnnotationStatus,
    BlockKind,
    FlagReason,
    GroupRole,
    NotificationKind,
    Premoderation,
    Role,
)
from app.routing import MAX_ID
from app.services.errors import ValidationFailed
from app.services.moderation import MAX_REASON, MAX_SUSPENSION, AnnotationAction
from app.services.reading import Sort
from app.services.search import MAX_QUERY


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL: refuse it here rather than fail in the database.
    if has_nul(value):
        raise ValueError("Text must not contain NUL characters.")
    return value


# The document says so too, so that a value the schema allows is never refused for a NUL.
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, AfterValidator(_no_nul), Field(json_schema_extra={"pattern": NO_NUL})]
# Documents a rule the services enforce (with friendlier messages than a schema's): some
# non-blank text is required (and no NUL, as for all text).
NON_BLANK: dict[str, Any] = {"minLength": 1, "pattern": r"^[^\x00]*\S[^\x00]*$"}


def _integral(value: object) -> object:
    # JSON Schema counts 3.0 as an integer, as JSON itself does: take it as 3.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Int = Annotated[int, BeforeValidator(_integral)]
Id = Annotated[Int, Field(ge=1, le=MAX_ID)]


def _not_null(name: str) -> dict[str, Any]:
    return {"required": [name], "properties": {name: {"not": {"type": "null"}}}}


def at_least_one(*names: str) -> dict[str, Any]:
    """The schema of "at least one of these fields, and not null" (what the service requires)."""
    return {"anyOf": [_not_null(name) for name in names]}


def exactly_one(*names: str) -> dict[str, Any]:
    """The schema of "exactly one of these fields is given (not null)"."""
    return {"oneOf": [_not_null(name) for name in names]}


# Why a moderator acted (or a flag was raised): optional, at most 1,000 characters.
Reason = Annotated[
    Annotated[str, Field(max_length=MAX_REASON), AfterValidator(_no_nul)] | None,
    Field(description=f"Why; at most {MAX_REASON:,} characters."),
]
# The moderation table's actions, spelled out as an enum in the document.
ModerationActionName = Literal[tuple(a.value for a in AnnotationAction)]  # type: ignore[valid-type]


class Request(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Response(BaseModel):
    """Response bodies: undeclared properties fail the schema, so a test catches a presenter
    that adds a field without documenting it."""

    model_config = ConfigDict(extra="forbid")


# Requests


class QuoteIn(Request):
    """A W3C TextQuoteSelector; `exact` must occur in the block's `text`."""

    exact: Text = Field(json_schema_extra=NON_BLANK)
    prefix: Text = ""
    suffix: Text = ""


class AnnotationCreate(Request):
    anchor: Text = Field(
        max_length=80, description="The block's anchor.", json_schema_extra={"minLength": 1}
    )
    kind: AnnotationKind
    body: Text = Field(
        description="Markdown, 1–10,000 characters after trimming.", json_schema_extra=NON_BLANK
    )
    parent: Id | None = Field(None, description="Reply to this annotation (same block).")
    quote: QuoteIn | None = None
    group: Text | None = Field(None, description="Post to this reading group only.")
    private: bool = Field(False, description="A note only its author can see.")


class ArticleCreate(Request):
    source: Text = Field(
        description="The whole document, at most 2 MiB of UTF-8.", json_schema_extra=NON_BLANK
    )
    markup: Literal["md", "txt", "html"] = Field(description="What `source` is written in.")
    slug: Text | None = Field(None, description="The article's name in URLs (default: its title).")


class RevisionCreate(Request):
    source: Text = Field(
        description="The whole new text, at most 2 MiB of UTF-8.", json_schema_extra=NON_BLANK
    )
    markup: Literal["md", "txt", "html"] = Field(description="What `source` is written in.")
    force: bool = Field(
        False, description="Apply it even if it would orphan more than half of the annotations."
    )


class AnchorIn(Request):
    """Re-attach an (orphaned) annotation's thread to a block, optionally on a quote there."""

    anchor: Text = Field(max_length=80, json_schema_extra={"minLength": 1})
    quote: QuoteIn | None = None


class ArticleQuery(BaseModel):
    """?revision=N reads an earlier revision (read-only)."""

    model_config = ConfigDict(extra="ignore")

    revision: int | None = Field(None, ge=1, le=MAX_ID, description="An earlier revision.")


class AnnotationUpdate(Request):
    """At least one of `body` and `kind`."""

    model_config = ConfigDict(json_schema_extra=at_least_one("body", "kind"))

    body: Text | None = Field(
        None,
        description="Markdown, 1–10,000 characters after trimming.",
        json_schema_extra=NON_BLANK,
    )
    kind: AnnotationKind | None = None


SearchText = Annotated[
    str,
    Field(
        max_length=MAX_QUERY,
        description=f"Words to search for (FTS operators are read as plain words); at most "
        f"{MAX_QUERY} characters. A query without words (blank, or punctuation alone) matches "
        "nothing.",
        json_schema_extra={"pattern": NO_NUL},
    ),
    AfterValidator(_no_nul),
]


class AnnotationFilters(PageQuery):
    """An unknown filter is refused (422), never silently ignored."""

    model_config = ConfigDict(extra="forbid")

    anchor: Text | None = Field(None, description="Only this block's annotations.")
    kind: AnnotationKind | None = None
    author: Text | None = Field(None, description="Only this author's (username).")
    group: Text | None = Field(None, description="Only this reading group's.")
    sort: Sort | None = Field(
        None,
        description="`helpful`, `newest`, `oldest` or `document` (reading order of the quote); "
        "the instructor's picks come first. Without it: oldest first, by id.",
    )
    q: SearchText | None = Field(
        None, description="Full-text search within the article: best match first, with snippets."
    )


class SearchQuery(PageQuery):
    """`GET /search`: an unknown filter is refused (422), never silently ignored."""

    model_config = ConfigDict(extra="forbid")

    q: SearchText
    article: Text | None = Field(None, description="Only this article's (slug).")
    kind: AnnotationKind | None = None
    author: Text | None = Field(None, description="Only this author's (username).")
    group: Text | None = Field(None, description="Only this reading group's (slug).")
    since: date | None = Field(None, description="Written on or after this day (UTC).")
    until: date | None = Field(None, description="Written on or before this day (UTC).")


class GroupCreate(Request):
    name: Text = Field(description="1–120 characters.", json_schema_extra=NON_BLANK)


class JoinIn(Request):
    join_code: Text = Field(
        description="The code the instructor gave out (case, spaces and dashes are ignored).",
        json_schema_extra=NON_BLANK,
    )


class PremoderationIn(Request):
    mode: Premoderation = Field(
        description="`off`; `new_members`: a member's first `posts` posts wait for approval; "
        "`all`: every member's post does."
    )
    posts: Int | None = Field(None, ge=1, le=100, description="For `new_members` (default 3).")


class GroupUpdate(Request):
    """At least one of the fields; each real change is logged."""

    model_config = ConfigDict(json_schema_extra=at_least_one("name", "archived", "premoderation"))

    name: Text | None = Field(None, description="1–120 characters.", json_schema_extra=NON_BLANK)
    archived: bool | None = Field(
        None, description="An archived group is read-only and takes no new members."
    )
    premoderation: PremoderationIn | None = None


class ReadingCreate(Request):
    article: Text = Field(description="The article's slug.", json_schema_extra={"minLength": 1})
    due: date | None = Field(None, description="When the class should have read it.")


class MemberUpdate(Request):
    role: GroupRole


class RemovalIn(Request):
    reason: Reason = None


class SuspensionCreate(Request):
    """Either `until` or `days`."""

    model_config = ConfigDict(json_schema_extra=exactly_one("until", "days"))

    until: AwareDatetime | None = Field(
        None, description="When the suspension ends (ISO 8601 with a zone), within a year."
    )
    days: Int | None = Field(
        None, ge=1, le=MAX_SUSPENSION.days, description="Or: for this many days from now."
    )
    reason: Reason = None

    def end(self, now: datetime) -> datetime:
        """The moment the suspension ends; ValidationFailed unless exactly one way is given."""
        if (self.until is None) == (self.days is None):
            raise ValidationFailed(
                "Say when the suspension ends.", {"until": "Send either `until` or `days`."}
            )
        if self.until is not None:
            return self.until.astimezone(UTC)
        return now + timedelta(days=self.days or 0)


class UnsuspendIn(Request):
    reason: Reason = None


class FlagCreate(Request):
    reason: FlagReason
    details: Reason = Field(None, description="What is wrong; required when reason is `other`.")


class ModerationIn(Request):
    action: ModerationActionName = Field(
        description="Each action is undone by its pair: hide/unhide, lock/unlock, pin/unpin, "
        "delete/restore; `approve` publishes a held annotation or dismisses its flags."
    )
    reason: Reason = Field(None, description="Told to the author; kept in the log.")


class FeedbackCreate(Request):
    body: Text = Field(
        description="Markdown, 1–10,000 characters after trimming.", json_schema_extra=NON_BLANK
    )


class MarkRead(Request):
    ids: list[Id] | None = Field(
        None, max_length=500, description="These notifications; leave out to mark all read."
    )


class NotificationFilters(PageQuery):
    unread: bool = Field(False, description="Only the unread ones.")


# Responses


class TokenOut(Response):
    token: str = Field(description="Send as `Authorization: Bearer <token>`; shown only once.")
    expires: datetime


class MeOut(Response):
    username: str
    display_name: str
    role: Role


class AuthorOut(Response):
    username: str
    display_name: str


class QuoteOut(Response):
    exact: str
    prefix: str
    suffix: str


class QuoteRangeOut(Response):
    start: int = Field(description="Offset in code points into the block's current `text`.")
    end: int


class AnnotationOut(Response):
    id: int
    article: str = Field(description="The article's slug.")
    anchor: str
    kind: AnnotationKind
    body: str | None = Field(description="Markdown as written; null when hidden from the caller.")
    body_html: str | None = Field(description="Sanitised HTML; null when `body` is.")
    parent: int | None
    quote: QuoteOut | None
    group: str | None
    author: AuthorOut
    created: datetime
    updated: datetime
    status: AnnotationStatus = Field(
        description="`pending` (held for a moderator) is shown to its author alone."
    )
    reply_count: int = Field(description="Direct replies that everyone can see.")
    helpful_count: int = Field(description="Readers who marked it helpful.")
    helpful_by_me: bool = Field(description="Whether the caller marked it helpful.")
    is_answer: bool = Field(description="A reply its question's author marked as the answer.")
    pinned: bool = Field(description="Picked by a moderator as exemplary (an extension).")
    locked: bool = Field(description="Takes no new replies (an extension).")
    moderation_reason: str | None = Field(
        description="Why a moderator hid it: shown to its author and moderators, else null."
    )
    orphaned: bool = Field(description="Its text is gone from the current revision.")
    quote_range: QuoteRangeOut | None = Field(
        description="Where the quote lies now (the words may have been lightly edited)."
    )


class SearchHitOut(AnnotationOut):
    snippet: str = Field(
        description="Safe HTML: the matching part of the body, matched words in `<mark>`."
    )


class PassageOut(Response):
    article: str = Field(description="The article's slug.")
    anchor: str
    snippet: str = Field(description="Safe HTML: the matching text, matched words in `<mark>`.")


class SearchPage(Response):
    items: list[SearchHitOut] = Field(description="Annotations, best match first.")
    next: str | None = Field(description="Pass as ?cursor= for the next page; null at the end.")
    passages: list[PassageOut] = Field(
        description="Article text that matches (first page only; empty on later pages)."
    )


class ArticleAnnotationPage(Response):
    items: list[SearchHitOut | AnnotationOut] = Field(
        description="Oldest first; with `q`, best match first and each with its `snippet`."
    )
    next: str | None = Field(description="Pass as ?cursor= for the next page; null at the end.")


class InsightQuery(BaseModel):
    """`?article=`: one reading of the group; left out, everything the group wrote."""

    model_config = ConfigDict(extra="forbid")

    article: Text | None = Field(None, description="One reading (the article's slug).")


class ExportQuery(BaseModel):
    """`?group=`: that group's discussion; left out, the public one. Unknown parameters: 422."""

    model_config = ConfigDict(extra="forbid")

    group: Text | None = Field(None, description="The reading group (slug).")


class JsonLdQuery(ExportQuery):
    page: int = Field(
        0, ge=0, le=100_000, description="0: the collection (first page embedded); n: page n."
    )


class WebAnnotationIn(BaseModel):
    """A W3C Web Annotation document: an AnnotationCollection (its pages embedded), an
    AnnotationPage, or one Annotation, as `GET …/annotations.jsonld` writes them."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "required": ["type"],
            "properties": {
                "type": {},
                "@context": {},
                "items": {"description": "An AnnotationPage's annotations."},
                "first": {"description": "An AnnotationCollection's first page, embedded."},
            },
        },
    )


class ImportedItemOut(Response):
    index: int = Field(description="The item's position in the document (pages in order).")
    id: int = Field(description="The new annotation's id.")


class ImportedOut(Response):
    created: int
    items: list[ImportedItemOut]


class MemberParticipationOut(Response):
    username: str
    display_name: str
    role: GroupRole
    counts: dict[str, int] = Field(description="Visible notes by kind (every kind listed).")
    replies_given: int
    replies_received: int = Field(description="Replies by others to this member's notes.")
    words: int
    helpful_received: int = Field(description="Helpful marks by others on this member's notes.")
    first: datetime | None = Field(description="The first note's time; null before any.")
    last: datetime | None
    on_time: bool | None = Field(
        description="With `article` and a due date: posted on it by the end of the due day."
    )


class ParticipationOut(Response):
    group: str
    article: str | None = Field(description="The reading reported on; null for all of them.")
    due: date | None
    items: list[MemberParticipationOut] = Field(
        description="Every active member, members first then instructors, by name; not paged "
        "(a class roster)."
    )


class ArticleSummaryOut(Response):
    slug: str
    title: str
    author: str | None
    published: date | None
    source_url: str | None
    block_count: int
    annotation_count: int = Field(description="Visible annotations the caller may see.")


class BlockOut(Response):
    anchor: str
    position: int
    kind: BlockKind
    text: str = Field(description="Plain text: what quotes are matched against.")
    html: str
    counts: dict[AnnotationKind, int] = Field(description="What the caller may see, by kind.")


class ArticleOut(ArticleSummaryOut):
    standfirst: str | None
    revision: int = Field(description="The revision shown (0: imported before revisions).")
    current_revision: int
    blocks: list[BlockOut] = Field(description="In reading order.")


class BlockReportOut(Response):
    kept: int
    moved: int
    edited: int
    added: int
    removed: int


class NoteReportOut(Response):
    anchored: int
    reanchored: int
    orphaned: int


class ReportOut(Response):
    blocks: BlockReportOut
    annotations: NoteReportOut


class RevisionCreated(Response):
    revision: int
    report: ReportOut


class RevisionOut(RevisionCreated):
    created: datetime
    author: AuthorOut | None = Field(description="Null when imported from the command line.")


class RevisionPage(Response):
    items: list[RevisionOut] = Field(description="Newest first.")
    next: str | None = Field(description="Pass as ?cursor= for the next page; null at the end.")


class HealthOut(Response):
    revision: int
    report: ReportOut = Field(description="What the current revision did to blocks and notes.")
    orphaned: list[AnnotationOut] = Field(description="Threads whose text is gone, oldest first.")


class ArticlePage(Response):
    items: list[ArticleSummaryOut]
    next: str | None = Field(description="Pass as ?cursor= for the next page; null at the end.")


class AnnotationPage(Response):
    items: list[AnnotationOut]
    next: str | None = Field(description="Pass as ?cursor= for the next page; null at the end.")


NEXT = "Pass as ?cursor= for the next page; null at the end."


class PremoderationOut(Response):
    mode: Premoderation
    posts: int = Field(description="How many posts of a new member are held (`new_members`).")


class GroupSummaryOut(Response):
    slug: str
    name: str
    role: GroupRole | None = Field(
        description="The caller's role in the group (null for a site admin who is not in it)."
    )
    archived: bool
    premoderation: PremoderationOut
    created: datetime
    join_code: str | None = Field(None, description="Instructors only (absent for members).")
    join_code_expires: datetime | None = Field(
        None, description="Instructors only (absent for members)."
    )


class ReadingOut(Response):
    article: str = Field(description="The article's slug.")
    title: str
    due: date | None


class MemberOut(Response):
    username: str
    display_name: str
    role: GroupRole
    joined: datetime
    suspended_until: datetime | None = Field(
        None, description="Instructors only (absent for members): when a suspension ends."
    )


class GroupOut(GroupSummaryOut):
    readings: list[ReadingOut] = Field(description="Soonest due first; undated ones last.")
    members: list[MemberOut] = Field(description="Instructors first, then by joining date.")


class GroupPage(Response):
    items: list[GroupSummaryOut]
    next: str | None = Field(description=NEXT)


class SuspensionOut(Response):
    username: str
    display_name: str
    suspended_until: datetime
    reason: str | None


class FlagOut(Response):
    annotation: int
    reason: FlagReason
    details: str | None
    by: AuthorOut
    created: datetime


class QueueFlagOut(Response):
    reason: FlagReason
    details: str | None
    by: AuthorOut
    created: datetime


class QueueItemOut(Response):
    annotation: AnnotationOut = Field(description="As its moderators see it (body included).")
    anchor: str
    block_text: str = Field(description="The plain text of the block it is on.")
    flags: list[QueueFlagOut] = Field(description="Open flags, oldest first.")
    thread: list[AnnotationOut] = Field(description="Its whole thread, oldest first.")


class QueuePage(Response):
    items: list[QueueItemOut] = Field(description="Oldest first.")
    next: str | None = Field(description=NEXT)


class LogSubjectOut(Response):
    annotation: int | None = Field(description="The annotation acted on, if any.")
    user: AuthorOut | None = Field(description="The member acted on, if any.")


class LogEntryOut(Response):
    id: int
    action: str = Field(
        description="An annotation action (hide, unhide, approve, lock, unlock, pin, unpin, "
        "delete, restore), a member action (suspend, unsuspend, remove_member, restore_member, "
        "role_member, role_instructor) or a group one (rename, archive, unarchive, "
        "premoderation, regenerate_code, unassign_reading)."
    )
    actor: AuthorOut
    subject: LogSubjectOut
    reason: str | None
    previous: dict[str, Any] = Field(description="What the action changed, as it was before.")
    created: datetime


class LogPage(Response):
    items: list[LogEntryOut] = Field(description="Newest first.")
    next: str | None = Field(description=NEXT)


class FeedbackOut(Response):
    id: int
    annotation: int
    body: str
    body_html: str
    author: AuthorOut
    created: datetime


class FeedbackPage(Response):
    items: list[FeedbackOut] = Field(description="Oldest first.")
    next: str | None = Field(description=NEXT)


class NotificationArticleOut(Response):
    slug: str
    title: str


class NotificationBlockOut(Response):
    anchor: str
    kind: str = Field(description="`paragraph` or `heading`.")
    position: int = Field(description="1-based place in the article, headings counted.")
    opening: str = Field(description="The block's first words.")


class NotificationGroupOut(Response):
    slug: str
    name: str


class NotificationContextOut(Response):
    article: NotificationArticleOut
    block: NotificationBlockOut
    group: NotificationGroupOut | None
    excerpt: str | None = Field(
        description="The start of the annotation, when the caller may read its body."
    )


class NotificationOut(Response):
    id: int
    kind: NotificationKind
    message: str
    annotation: int | None = Field(description="The annotation it is about, if any.")
    actor: AuthorOut | None
    created: datetime
    read: bool
    context: NotificationContextOut | None = Field(
        description="Where the annotation is, under the same rule as the annotation itself: "
        "none once the caller may no longer read it (such notifications are left out)."
    )


class NotificationPage(Response):
    items: list[NotificationOut] = Field(description="Newest first.")
    next: str | None = Field(description=NEXT)


class NotificationCountOut(Response):
    unread: int = Field(description="Unread notifications.")
    queue: int = Field(
        description="Items waiting in the queues of the groups the caller moderates."
    )


class MarkedOut(Response):
    marked: int = Field(description="How many notifications this call marked read.")


ErrorCode = Literal[
    "bad_request",
    "validation",
    "unauthorized",
    "forbidden",
    "not_found",
    "conflict",
    "rate_limited",
    "server_error",
]


class ErrorDetail(Response):
    code: ErrorCode
    message: str
    fields: dict[str, str] = Field(
        default_factory=dict, description="Validation errors: {field: what is wrong}."
    )


class ErrorOut(Response):
    error: ErrorDetail


# Accounts (CONTRACT §8)


class UserFilters(PageQuery):
    q: Annotated[Text, Field(max_length=100)] = Field(
        "", description="Part of a username, display name or email address."
    )


class UserPatch(Request):
    """At least one of `role` and `disabled`."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    role: Role | None = None
    disabled: bool | None = Field(
        None, description="true ends the account's sessions and tokens at once."
    )


class UserOut(Response):
    username: str
    display_name: str
    role: Role
    email: str | None = Field(description="The confirmed address (admins only see this).")
    disabled: bool
    created: datetime


class UserPage(Response):
    items: list[UserOut] = Field(description="Oldest account first.")
    next: str | None = Field(description=NEXT)


class MentionFilters(BaseModel):
    model_config = ConfigDict(extra="ignore")

    q: Annotated[Text, Field(max_length=40)] = Field("", description="The start of a name.")
    group: Text | None = Field(None, description="A group's discussion: its members.")
    article: Text | None = Field(
        None, description="An article's public discussion: the people who wrote in it."
    )


class MentionableOut(Response):
    username: str
    display_name: str


class MentionablePage(Response):
    items: list[MentionableOut] = Field(description="At most 8, by username.")


class DeleteMe(Request):
    password: Text = Field(description="The account's password, to be sure.")


class ExportOut(Response):
    """Everything the caller wrote and what the site keeps about them."""

    model_config = ConfigDict(extra="allow")

    account: dict[str, Any]
    annotations: list[dict[str, Any]]
    feedback: list[dict[str, Any]]
    flags: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    exported: datetime
