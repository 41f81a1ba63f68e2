"""The variable parts of URLs, query strings and forms: ids bounded to what the database stores.

Ids are 32-bit integers in the database (PostgreSQL `integer`): a larger number can name
nothing, and must never reach a query (SQLite raises OverflowError past 2**63, PostgreSQL an
out-of-range error past 2**31). Pages and the API parse every id here, so an id out of range
is a 404 in a path and a 400/422 in a query string or a form, on either database.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask, abort, current_app, request, url_for
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter

from app.services.groups import RESERVED_SLUGS

MAX_ID = 2**31 - 1


def decimal_range_pattern(top: int) -> str:
    """A regular expression matching exactly the decimals 1..top (ASCII digits, no sign, no
    leading zero): the bound is in the pattern, so a schema can state it for strings too."""
    digits = str(top)
    shorter = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    same_length = []
    for i, digit in enumerate(digits):
        low = "1" if i == 0 else "0"
        if int(digit) > int(low):
            rest = len(digits) - i - 1
            tail = f"[0-9]{{{rest}}}" if rest else ""
            same_length.append(f"{digits[:i]}[{low}-{int(digit) - 1}]{tail}")
    return "(?:" + "|".join([*shorter, *same_length, digits]) + ")"


# Canonical decimal only: ASCII digits (str.isdigit also accepts '²' and '٣'), no sign, no
# leading zero, 1 to MAX_ID.
ID_PATTERN = decimal_range_pattern(MAX_ID)
_ID = re.compile(ID_PATTERN)


def parse_id(raw: str | None) -> int | None:
    """The id `raw` spells (1 to MAX_ID), or None for anything else."""
    return int(raw) if raw is not None and _ID.fullmatch(raw) else None


def id_arg(name: str) -> int | None:
    """A page's optional `?name=<id>`: None when absent or empty, a 400 when not an id."""
    raw = request.args.get(name, "")
    if raw == "":
        return None
    value = parse_id(raw)
    if value is None:
        abort(400, f"`{name}` must be a number from 1 to {MAX_ID}.")
    return value


class IdConverter(BaseConverter):
    """`<id:name>` in a route: an id, or a 404 for any other run of digits.

    Werkzeug's `int(max=...)` refuses a large number by declining the match, and a path that
    another rule matches with a different method then answers 405 (the id is never looked at).
    An out-of-range id names nothing, so this converter answers 404 itself.
    """

    regex = r"[0-9]+"
    weight = 50  # as werkzeug's numbers: tried before a plain string segment

    def to_python(self, value: str) -> int:
        parsed = parse_id(value)
        if parsed is None:
            raise NotFound(f"Nothing has this id: ids run from 1 to {MAX_ID}.")
        return parsed

    def to_url(self, value: int) -> str:
        return str(int(value))


class GroupSlugConverter(BaseConverter):
    """`<group:slug>`: any segment but the fixed paths beside it (`/groups/join`, `/groups/new`).

    A plain `<slug>` also matches "join", so `OPTIONS /groups/join` listed the methods of
    `/groups/<slug>` too, and `PATCH /groups/join` reached the group view instead of a 405.
    No group can have these slugs (the service reserves them).
    """

    regex = "(?!(?:" + "|".join(sorted(RESERVED_SLUGS)) + r")\Z)[^/]+"


CONVERTERS: dict[str, type[BaseConverter]] = {"id": IdConverter, "group": GroupSlugConverter}


def init_app(app: Flask) -> None:
    """Register the converters; runs before any blueprint whose routes use them."""
    app.url_map.converters.update(CONVERTERS)


_SENTINEL = MAX_ID  # an id no route argument is built with by chance
_BUILT: dict[tuple[str, ...], str] = {}


def _built_once(key: tuple[str, ...], build: Callable[[], str]) -> str:
    """A URL that depends only on the route map and the script root, built once per process:
    pages draw the same links (static files, a note's actions) hundreds of times."""
    full = (request.script_root, *key)
    found = _BUILT.get(full)
    if found is None:
        found = _BUILT.setdefault(full, build())
    return found


def url_with_id(endpoint: str, ident: int | str, **args: str) -> str:
    """`url_for(endpoint, <its id argument>=ident, **args)`, built once with a stand-in id that
    is then replaced."""
    key = ("id", endpoint, *(f"{k}={v}" for k, v in sorted(args.items())))
    pattern = _built_once(
        key, lambda: url_for(endpoint, **{_id_argument(endpoint): _SENTINEL}, **args)
    )
    head, _, tail = pattern.partition(str(_SENTINEL))
    return f"{head}{ident}{tail}"


def _id_argument(endpoint: str) -> str:
    """The name of the endpoint's one id argument (`annotation_id`, ...)."""
    for rule in current_app.url_map.iter_rules(endpoint):
        ids = [name for name in rule.arguments if name.endswith("_id")]
        if len(ids) == 1:
            return ids[0]
    raise LookupError(f"{endpoint} takes no single id")


def static_url(filename: str) -> str:
    """`url_for("static", filename=...)`: every page links the same 16 static files, whose
    URLs never change (no cache-busting)."""
    return _built_once(("static", filename), lambda: url_for("static", filename=filename))
