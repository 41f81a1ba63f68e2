"""Benchmark-only reference routes: what the framework alone can serve, beside the real app.

The app never mounts them: `create_bench_app` builds the app with `create_app` and adds them,
and the benchmark's gunicorn serves `bench.reference:create_bench_app(freeze=True)`.
"""

from __future__ import annotations

import copy
import dataclasses
import gc
from collections.abc import Callable
from types import FunctionType
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from jinja2 import Template
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, func, insert
from sqlalchemy import inspect as sa_inspect

from app.extensions import csrf, db
from app.web import caching

PREFIX = "/_bench"

# Its own MetaData: the table is made by the benchmark's seeder, never by the app's migrations.
bench_metadata = MetaData()
bench_insert_table = Table(
    "bench_insert",
    bench_metadata,
    Column("id", Integer, primary_key=True),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

bp = Blueprint("benchref", __name__, url_prefix=PREFIX)


def create_bench_app(config: dict[str, Any] | None = None, freeze: bool = False) -> Flask:
    """The app exactly as `create_app(config)` builds it, plus the reference routes.

    `freeze`: as wsgi.py does for a server, keep everything built so far out of every later
    garbage collection, so the app and its references are measured alike.
    """
    from app import create_app

    app = create_app(config)
    app.logger.warning("benchmark reference routes are mounted under %s", PREFIX)
    csrf.exempt(bp)  # the insert reference stands for a token-authenticated API write
    app.register_blueprint(bp)
    app.extensions["benchref.snapshots"] = {}
    if freeze:
        gc.freeze()
    return app


# --- (a) the framework limit: a real page's template, rendered from memory --------------------


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """What one real view rendered: its template and the context it passed, as plain objects."""

    template: str
    context: dict[str, Any]


def _plain_class(model: type) -> type:
    """A plain class with the model's own properties and helpers (quote, is_edited, get_id)."""
    namespace: dict[str, Any] = {}
    for klass in reversed(model.__mro__):
        if klass.__module__.startswith(("sqlalchemy", "flask_sqlalchemy", "builtins")):
            continue  # the ORM's machinery: a plain object must not reach for a session
        for name, value in vars(klass).items():
            if not name.startswith("__") and isinstance(value, property | FunctionType):
                namespace[name] = value
    return type(f"Plain{model.__name__}", (), namespace)


_PLAIN_CLASSES: dict[type, type] = {}


def to_plain(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """A deep copy of `value` in which every ORM instance becomes a plain object.

    Columns and already-loaded relationships are copied; nothing is ever fetched, so rendering
    from the copy runs no SQL. Dataclasses (the pages' view-models) are copied field by field.
    """
    memo = {} if memo is None else memo
    if id(value) in memo:
        return memo[id(value)]
    if isinstance(value, list | tuple):
        items = [to_plain(v, memo) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {k: to_plain(v, memo) for k, v in value.items()}
    state = sa_inspect(value, raiseerr=False)
    if state is not None and hasattr(state, "mapper"):
        model = type(value)
        plain = _PLAIN_CLASSES.setdefault(model, _plain_class(model)).__new__(_PLAIN_CLASSES[model])
        memo[id(value)] = plain
        for attr in state.mapper.column_attrs:
            setattr(plain, attr.key, getattr(value, attr.key))
        for rel in state.mapper.relationships:
            if rel.key not in state.unloaded:
                setattr(plain, rel.key, to_plain(state.dict.get(rel.key), memo))
        return plain
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        clone = copy.copy(value)
        memo[id(value)] = clone
        for field in dataclasses.fields(value):
            object.__setattr__(clone, field.name, to_plain(getattr(value, field.name), memo))
        return clone
    return value


def capture_view(path: str) -> Snapshot:
    """Run the real view for GET `path` as an anonymous reader and keep what it rendered.

    The template is whatever the view chooses, found at run time, so the reference follows the
    page as the page changes.
    """
    from flask import template_rendered

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    seen: list[tuple[Template, dict[str, Any]]] = []

    def record(_sender: Flask, template: Template, context: dict[str, Any], **_: Any) -> None:
        seen.append((template, dict(context)))

    with app.test_request_context(path, headers={"Accept": "text/html"}):
        injected = set(_injected_context(app))
        adapter = app.url_map.bind("localhost")
        endpoint, args = adapter.match(path)
        view: Callable[..., Any] = app.view_functions[endpoint]
        # The page in full, as a signed-in reader or a cache miss gets it: the reference
        # must not start from the anonymous page's kept blocks (app/web/caching.py).
        with template_rendered.connected_to(record, app), caching.bypassed():
            view(**args)
        if not seen:
            raise LookupError(f"the view for {path} rendered no template")
        template, context = seen[-1]
        passed = {k: v for k, v in context.items() if k not in injected}
        return Snapshot(template.name or "", to_plain(passed))


def _injected_context(app: Flask) -> dict[str, Any]:
    """The names Flask and its extensions add to every template context (request, g, ...)."""
    context: dict[str, Any] = {}
    app.update_template_context(context)
    return context


@bp.get("/render/<path:path>")
def render_reference(path: str) -> ResponseReturnValue:
    """The page at /<path> drawn from an in-memory snapshot: Flask + Jinja, no database."""
    snapshots: dict[str, Snapshot] = current_app.extensions["benchref.snapshots"]
    key = "/" + path
    snapshot = snapshots.get(key)
    if snapshot is None:  # first request in this worker: one real run of the view
        snapshot = snapshots[key] = capture_view(key)
        db.session.remove()
    return render_template(snapshot.template, **snapshot.context)


# --- (b) the bare write: one row through SQLAlchemy Core ------------------------------------


@bp.post("/insert")
def insert_reference() -> ResponseReturnValue:
    """Parse a JSON body, insert one row, commit, answer 201: the floor under any API write."""
    payload = request.get_json(silent=True) or {}
    body = str(payload.get("body", ""))[:10_000] or "-"
    result = db.session.execute(insert(bench_insert_table).values(body=body))
    db.session.commit()
    return jsonify(id=result.inserted_primary_key[0]), 201
