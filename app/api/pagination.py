"""Keyset pagination: opaque cursors over ids, and the ?limit/?cursor query parameters."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from typing import Annotated, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from app.routing import MAX_ID

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_VERSION = "v1"
_CURSOR_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_BAD_CURSOR = "This cursor was not given out by the API; start again without it."

T = TypeVar("T")


def encode_cursor(last_id: int) -> str:
    """An opaque cursor meaning 'after the item with this id' (versioned, so it can change)."""
    raw = f"{_VERSION}:{last_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a cursor from encode_cursor stands for; ValueError for anything else."""
    if not _CURSOR_RE.match(cursor):
        raise ValueError(_BAD_CURSOR)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError(_BAD_CURSOR) from None
    version, _, digits = raw.partition(":")
    if version != _VERSION or not digits.isdigit() or not 0 <= int(digits) <= MAX_ID:
        raise ValueError(_BAD_CURSOR)
    return int(digits)


def _cursor(value: object) -> int:
    if not isinstance(value, str):
        raise PydanticCustomError("cursor", _BAD_CURSOR)
    try:
        return decode_cursor(value)
    except ValueError:
        raise PydanticCustomError("cursor", _BAD_CURSOR) from None


# Decoded to the id it stands for, but documented as the opaque string clients see.
Cursor = Annotated[
    int,
    BeforeValidator(_cursor),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _CURSOR_RE.pattern,
            "description": "The `next` value of the previous page.",
        }
    ),
]


class PageQuery(BaseModel):
    """?limit and ?cursor; unknown query parameters are ignored (e.g. cache busters)."""

    model_config = ConfigDict(extra="ignore")

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")
    cursor: Cursor | None = None


def split_page(
    rows: Sequence[T], limit: int, key: Callable[[T], int]
) -> tuple[list[T], str | None]:
    """Rows fetched with `limit + 1`: the page to show and the cursor to the next one, if any."""
    shown = list(rows[:limit])
    more = len(rows) > limit and bool(shown)
    return shown, encode_cursor(key(shown[-1])) if more else None
