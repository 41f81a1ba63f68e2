"""The app's routes, read from app.url_map at run time, with their URL arguments filled in.

New routes are covered as soon as they exist. Each URL argument is given a kind by its name and
place ("slug" after /groups/ is a group, after /articles/ an article; "flag_id" is a row of the
flags table), and each test says which value each kind takes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from flask import Flask
from sqlalchemy import select
from werkzeug.routing import MapAdapter, Rule

from app.extensions import db

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API = "/api/v1"
_ARGUMENT = re.compile(r"<(?:[^>:]+:)?(\w+)>")
# "<x>_id" arguments whose table is not simply "<x>s" or "<x>".
TABLE_ALIASES = {"action": "moderation_log", "entry": "moderation_log", "log": "moderation_log",
                 "token": "api_tokens", "note": "annotations",
                 "session": "user_sessions"}  # fmt: skip


class Values(dict[str, Any]):
    """URL values by kind; a "row:<table>" kind not given takes the table's first row id."""

    def __missing__(self, kind: str) -> Any:
        if not kind.startswith("row:"):
            raise KeyError(kind)
        table = db.metadata.tables[kind.removeprefix("row:")]
        value = db.session.scalar(select(table.c.id).order_by(table.c.id).limit(1)) or 1
        self[kind] = value
        return value


class Unfillable(LookupError):
    """A URL argument this module cannot give a kind to: teach argument_kind about it."""


@dataclass(frozen=True)
class Route:
    rule: Rule
    method: str

    @property
    def path(self) -> str:
        return self.rule.rule

    @property
    def endpoint(self) -> str:
        return self.rule.endpoint

    @property
    def is_api(self) -> bool:
        return self.path.startswith(API + "/")

    @property
    def arguments(self) -> list[str]:
        return _ARGUMENT.findall(self.path)

    def kinds(self) -> dict[str, str]:
        """{argument: kind}; Unfillable if one of them has no known kind."""
        return {name: argument_kind(self.path, name) for name in self.arguments}

    def url(self, app: Flask, values: Mapping[str, Any]) -> str:
        """This route's URL with each argument set to values[<its kind>]."""
        arguments = {name: values[kind] for name, kind in self.kinds().items()}
        return _adapter(app).build(self.endpoint, arguments, method=self.method)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


_ADAPTERS: WeakKeyDictionary[Flask, MapAdapter] = WeakKeyDictionary()


def _adapter(app: Flask) -> MapAdapter:
    if app not in _ADAPTERS:
        _ADAPTERS[app] = app.url_map.bind(app.config.get("SERVER_NAME") or "localhost")
    return _ADAPTERS[app]


def routes(app: Flask, methods: Iterable[str], api: bool | None = None) -> list[Route]:
    """Every route answering one of `methods`; API routes only (True), pages only (False)."""
    wanted = set(methods)
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) & wanted):
            route = Route(rule, method)
            if api is None or route.is_api == api:
                found.append(route)
    return sorted(found, key=lambda r: (r.path, r.method))


def argument_kind(path: str, name: str) -> str:
    """What a URL argument names: "article", "group", "anchor", "annotation", "user", ..."""
    if name in ("annotation_id", "note_id", "parent_id"):
        return "annotation"
    if name in ("slug", "group_slug", "article_slug"):
        segment = re.search(rf"/([\w-]+)/<(?:[^>:]+:)?{name}>", path)
        before = segment[1] if segment else ""
        return "group" if name == "group_slug" or before == "groups" else "article"
    if name in ("article", "anchor", "username", "filename"):
        return {"article": "article", "anchor": "anchor", "username": "user",
                "filename": "static"}[name]  # fmt: skip
    if name in ("code", "join_code", "invite", "invite_code"):
        return "join_code"
    if name == "token":
        return "link_token"  # a signed link mailed to a member (app/services/links.py)
    if name.endswith("_id"):
        return "row:" + table_for(name)
    raise Unfillable(f"{path}: no kind for the URL argument <{name}> (see argument_kind)")


def table_for(argument: str) -> str:
    base = argument.removesuffix("_id")
    for name in (TABLE_ALIASES.get(base), base + "s", base, base + "es"):
        if name and name in db.metadata.tables:
            return name
    raise Unfillable(f"no table for the URL argument <{argument}> (see TABLE_ALIASES)")
