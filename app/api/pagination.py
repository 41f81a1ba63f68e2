"""Keyset pagination: cursors over ids, and the ?limit/?cursor query parameters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from app.routing import ID_PATTERN, parse_id

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# A cursor is the id of the last item shown, in decimal. The pattern documents exactly the
# cursors the API gives out, so every value the schema allows is a cursor it accepts (and
# "", "0" or a number past the largest id are refused by the schema and the API alike).
CURSOR_PATTERN = f"^{ID_PATTERN}$"
_BAD_CURSOR = "This cursor was not given out by the API; start again without it."

T = TypeVar("T")


def encode_cursor(last_id: int) -> str:
    """The cursor meaning 'after the item with this id'."""
    return str(last_id)


def decode_cursor(cursor: str) -> int:
    """The id a cursor from encode_cursor stands for; ValueError for anything else."""
    last_id = parse_id(cursor)
    if last_id is None:
        raise ValueError(_BAD_CURSOR)
    return last_id


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
            "pattern": CURSOR_PATTERN,
            "description": "The `next` value of the previous page, passed back as it came.",
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
