"""Request bodies that pass validation, so a refusal is the permission check's and not the parser's.

JSON bodies are made from the OpenAPI document's request schema; form bodies fill every field
name the pages use with something acceptable.
"""

from __future__ import annotations

import re
from typing import Any

from tests.security.routes import API, Route

# Values for string fields by name; anything else gets PROBE.
PROBE = "A harmless probe."
FORM = {
    "body": PROBE,
    "kind": "comment",
    "reason": "other",
    "details": PROBE,
    "action": "hide",
    "name": PROBE,
    "display_name": PROBE,
    "role": "member",
    "days": "1",
    "join_code": "ABCD2345",
    "article": "essay",
}


def form_body(**overrides: str) -> dict[str, str]:
    return {**FORM, **overrides}


def json_body(doc: dict[str, Any], route: Route, names: dict[str, Any]) -> Any:
    """A valid example of the route's JSON body, or None if it takes none."""
    path = re.sub(r"<(?:[^>:]+:)?(\w+)>", r"{\1}", route.path.removeprefix(API))
    operation = doc["paths"].get(path, {}).get(route.method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return _example(doc, content["application/json"]["schema"], "", names)


def _example(doc: dict[str, Any], schema: dict[str, Any], name: str, names: dict[str, Any]) -> Any:
    if "$ref" in schema:
        return _example(doc, _resolve(doc, schema["$ref"]), name, names)
    for key in ("anyOf", "oneOf"):
        # On an object with properties, anyOf/oneOf only constrain which are given (below).
        if key in schema and "properties" not in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return _example(doc, options[0], name, names)
    if name in names:
        return names[name]
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        # The required fields; a body of optional fields ("either days or until") gets the first.
        chosen = schema.get("required") or list(props)[:1]
        return {p: _example(doc, props[p], p, names) for p in chosen}
    if kind == "array":
        count = schema.get("minItems", 0)
        return [_example(doc, schema.get("items", {}), name, names) for _ in range(count)]
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    return {"date": "2031-01-01", "date-time": "2031-01-01T00:00:00Z"}.get(
        schema.get("format", ""), PROBE
    )


def _resolve(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node  # type: ignore[no-any-return]
