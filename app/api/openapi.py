"""GET /openapi.json: the OpenAPI 3.1 description, built from the routes and their models.

Each API view declares itself with @operation(...); the document walks app.url_map, so a
route is described where it is written, and a test fails for any route left undescribed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema
from werkzeug.routing import Rule

from app import uploads
from app.api.schemas import ErrorOut
from app.errors import CODES
from app.extensions import limiter
from app.routing import MAX_ID

PREFIX = "/api/v1"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
REF_TEMPLATE = "#/components/schemas/{model}"
Auth = Literal["none", "optional", "required", "basic", "bearer"]
F = TypeVar("F", bound=Callable[..., Any])
RESPONSE_TEXT = {
    200: "OK.",
    201: "Created.",
    204: "Done; no content.",
    400: "Malformed request (not JSON, or a bad CSRF token on a cookie-authenticated write).",
    401: "Not signed in, or the token is unknown, expired or revoked.",
    403: "Signed in, but not allowed to do this.",
    404: "No such thing (or the caller may not know it exists).",
    409: "Conflicts with the current state (e.g. a reply to a locked thread).",
    413: "The body is larger than the server accepts for this operation.",
    415: "The body is not sent as application/json.",
    422: "Invalid input; `fields` names what is wrong.",
    429: "Too many requests; see Retry-After.",
}


IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Any unique string (a UUID): the request is carried out once. Sent again with the same "
        "key (a retry after a lost answer), the first answer comes back, with the header "
        "`Idempotent-Replayed: true`, and nothing is done twice; a repeat that arrives while "
        "the first is running waits for it. A key belongs to one method and path (with its "
        "query): sent elsewhere it is another key; sent there again with a different body, a "
        "422. Keys are the caller's own and are kept 24 hours."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7e]+$"},
}


@dataclass(frozen=True)
class Operation:
    """How a view appears in the OpenAPI document."""

    summary: str
    tag: str
    responses: dict[int, type[BaseModel] | dict[str, Any] | None]
    auth: Auth = "optional"
    body: type[BaseModel] | None = None
    body_optional: bool = False  # every field optional: the body may be left out
    query: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    description: str = ""
    headers: dict[int, dict[str, str]] = field(default_factory=dict)
    media: str = "application/json"  # of the success responses (e.g. text/csv for an export)

    def error_statuses(self, method: str, has_path_params: bool) -> list[int]:
        # 401 everywhere: a Bearer token, when sent, must be valid even where none is needed.
        implied = {401, *self.errors}
        if method in WRITE_METHODS:
            implied.add(400)  # a cookie-authenticated write without its CSRF header
        if self.body is not None:
            implied |= {400, 413, 415, 422}
        if self.query is not None:
            implied.add(422)
        if has_path_params:
            implied.add(404)
        if method == "POST" and self.auth != "basic":
            # Idempotency-Key: reused for another request (422), or its first still running (409).
            implied |= {409, 422}
        return sorted(implied)


def operation(
    summary: str,
    tag: str,
    responses: dict[int, type[BaseModel] | dict[str, Any] | None],
    **options: Any,
) -> Callable[[F], F]:
    """Describe a view for the OpenAPI document (see Operation for the options)."""

    def mark(view: F) -> F:
        view.openapi = Operation(summary, tag, responses, **options)  # type: ignore[attr-defined]
        return view

    return mark


bp = Blueprint("openapi", __name__)


@bp.get("/openapi.json")
@limiter.exempt
@operation(
    "This document: the OpenAPI 3.1 description of the whole API.",
    "meta",
    {200: {"type": "object", "description": "An OpenAPI 3.1 document."}},
    auth="none",
)
def openapi_document() -> ResponseReturnValue:
    extensions = current_app.extensions
    if "api_openapi" not in extensions:
        extensions["api_openapi"] = build_document(current_app)
    return jsonify(extensions["api_openapi"])


_PARAM = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def openapi_path(rule: str) -> str:
    """'/api/v1/annotations/<id:annotation_id>' → '/annotations/{annotation_id}'."""
    return _PARAM.sub(lambda m: "{" + m["name"] + "}", rule.removeprefix(PREFIX))


def api_rules(app: Flask) -> list[tuple[str, str, Rule]]:
    """(method, OpenAPI path, rule) for every API route, HEAD and OPTIONS aside."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX + "/"):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.append((method, openapi_path(rule.rule), rule))
    return found


# The schema of each converter's values (app/routing.py); a plain segment is any string.
_CONVERTER_SCHEMAS: dict[str, dict[str, Any]] = {
    "id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}


def _path_parameters(rule: Rule) -> list[dict[str, Any]]:
    params = []
    for match in _PARAM.finditer(rule.rule):
        schema = dict(_CONVERTER_SCHEMAS.get(match["converter"] or "", {"type": "string"}))
        params.append({"name": match["name"], "in": "path", "required": True, "schema": schema})
    return params


def _query_parameters(model: type[BaseModel], schemas: Schemas) -> list[dict[str, Any]]:
    definition = schemas.definition(model)
    required = set(definition.get("required", []))
    parameters = []
    for name, prop in definition["properties"].items():
        schema = _parameter_schema(prop)
        parameter = {"name": name, "in": "query", "required": name in required, "schema": schema}
        description = prop.get("description") or schema.pop("description", None)
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _parameter_schema(prop: dict[str, Any]) -> dict[str, Any]:
    """A model field's schema as a query parameter: absent, not null, stands for 'none'."""
    schema = {k: v for k, v in prop.items() if k not in ("description", "title")}
    choices = [c for c in schema.get("anyOf", []) if c != {"type": "null"}]
    if len(choices) == 1:
        del schema["anyOf"]
        schema.update(choices[0])
        if schema.get("default", 0) is None:
            del schema["default"]
    return schema


def _content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _security(auth: Auth) -> list[dict[str, list[str]]]:
    return {
        "none": [],
        "optional": [{"bearer": []}, {}],  # {} : anonymous callers are served too
        "required": [{"bearer": []}],
        "bearer": [{"bearer": []}],
        "basic": [{"basic": []}],
    }[auth]


def _size(limit: int) -> str:
    return f"{limit / 1024 / 1024:g} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"


def _operation(
    op: Operation, rule: Rule, method: str, schemas: Schemas, limit: int | None
) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, model in op.responses.items():
        response: dict[str, Any] = {"description": RESPONSE_TEXT.get(status, "OK.")}
        if model is not None:
            schema = schemas.ref(model, "serialization")
            response["content"] = {op.media: {"schema": schema}}
        if status in op.headers:
            response["headers"] = {
                name: {"description": text, "schema": {"type": "string"}}
                for name, text in op.headers[status].items()
            }
        responses[str(status)] = response
    path_params = _path_parameters(rule)
    for status in op.error_statuses(method, bool(path_params)):
        text = RESPONSE_TEXT[status]
        if status == 413 and limit is not None:
            text = f"The body is larger than this operation accepts ({_size(limit)})."
        responses[str(status)] = {
            "description": f"`{CODES[status]}`: {text}",
            "content": _content(schemas.ref(ErrorOut, "serialization")),
        }
    document: dict[str, Any] = {
        "operationId": rule.endpoint.removeprefix("api.").replace(".", "_"),
        "summary": op.summary,
        "tags": [op.tag],
        "security": _security(op.auth),
        "responses": responses,
    }
    if op.description:
        document["description"] = op.description
    parameters = path_params + (_query_parameters(op.query, schemas) if op.query else [])
    if method == "POST" and op.auth != "basic":
        parameters.append(IDEMPOTENCY_PARAMETER)
    if parameters:
        document["parameters"] = parameters
    if op.body is not None:
        body = schemas.ref(op.body, "validation")
        document["requestBody"] = {"required": not op.body_optional, "content": _content(body)}
        if limit is not None:
            document["requestBody"]["description"] = f"At most {_size(limit)}."
    return document


def _operations(app: Flask) -> list[tuple[str, str, Rule, Operation]]:
    found = []
    for method, path, rule in api_rules(app):
        op = getattr(app.view_functions[rule.endpoint], "openapi", None)
        if op is not None:  # an undescribed route is left out, and the test says so
            found.append((method, path, rule, op))
    return found


class Schemas:
    """The models' JSON schemas, gathered under components/schemas with $refs pointing there."""

    def __init__(self, ops: list[Operation]) -> None:
        inputs = {m for op in ops for m in (op.body, op.query) if m is not None}
        outputs = {m for op in ops for m in op.responses.values() if isinstance(m, type)}
        outputs.add(ErrorOut)
        keyed: list[tuple[type[BaseModel], JsonSchemaMode]] = sorted(
            [(m, "validation") for m in inputs] + [(m, "serialization") for m in outputs],
            key=lambda pair: (pair[0].__name__, pair[1]),
        )
        refs, top = models_json_schema(keyed, ref_template=REF_TEMPLATE)
        self.refs = refs
        self.components = dict(sorted(top.get("$defs", {}).items()))

    def ref(self, model: type[BaseModel] | dict[str, Any], mode: JsonSchemaMode) -> dict[str, Any]:
        """A {"$ref": ...} to `model`'s schema (a literal schema is returned as it is)."""
        return model if isinstance(model, dict) else self.refs[(model, mode)]

    def definition(self, model: type[BaseModel]) -> dict[str, Any]:
        name = self.ref(model, "validation")["$ref"].removeprefix(REF_TEMPLATE.format(model=""))
        return self.components[name]


def build_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every described /api/v1 route of `app`."""
    found = _operations(app)
    schemas = Schemas([op for *_, op in found])
    paths: dict[str, dict[str, Any]] = {}
    for method, path, rule, op in found:
        limit = uploads.body_limit(app, app.view_functions[rule.endpoint])
        paths.setdefault(path, {})[method.lower()] = _operation(op, rule, method, schemas, limit)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Counterpoint API",
            "version": "1",
            "description": (
                "Read an article together and annotate it block by block. Authenticate with "
                "`POST /tokens` (HTTP Basic) and send `Authorization: Bearer <token>`; the "
                "app's own pages may use the session cookie with an X-CSRFToken header. "
                "Lists are paginated by keyset: pass `next` back as `?cursor=`, and leave the "
                "parameter out for the first page (an empty value is refused, as the schema says)."
            ),
        },
        "servers": [{"url": PREFIX}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas.components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "basic": {"type": "http", "scheme": "basic"},
            },
        },
    }
