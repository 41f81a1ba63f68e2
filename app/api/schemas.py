"""The pydantic models of the API: what requests may carry and what responses look like.

Request models validate input. Response models only document the JSON that presenters.py
builds (presenting through pydantic would double the work per item); a test checks real
responses against them, so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.api.pagination import MAX_ID, PageQuery
from app.models import AnnotationKind, AnnotationStatus, BlockKind, Role


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL: refuse it here rather than fail in the database.
    if "\x00" in value:
        raise ValueError("Text must not contain NUL characters.")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
# Documents a rule the services enforce (with friendlier messages than a schema's): some
# non-blank text is required.
NON_BLANK: dict[str, Any] = {"minLength": 1, "pattern": r"\S"}
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


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


class AnnotationUpdate(Request):
    """At least one of `body` and `kind`."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    body: Text | None = Field(
        None,
        description="Markdown, 1–10,000 characters after trimming.",
        json_schema_extra=NON_BLANK,
    )
    kind: AnnotationKind | None = None


class AnnotationFilters(PageQuery):
    anchor: Text | None = Field(None, description="Only this block's annotations.")
    kind: AnnotationKind | None = None
    author: Text | None = Field(None, description="Only this author's (username).")
    group: Text | None = Field(None, description="Only this reading group's.")


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
    blocks: list[BlockOut] = Field(description="In reading order.")


class ArticlePage(Response):
    items: list[ArticleSummaryOut]
    next: str | None = Field(description="Pass as ?cursor= for the next page; null at the end.")


class AnnotationPage(Response):
    items: list[AnnotationOut]
    next: str | None = Field(description="Pass as ?cursor= for the next page; null at the end.")


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
