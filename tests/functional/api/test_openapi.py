"""GET /api/v1/openapi.json describes every API route, and real responses match it."""

from __future__ import annotations

import re
from typing import Any

import jsonschema_rs
import pytest
from schemathesis.specs.openapi.definitions import OPENAPI_31

from app.extensions import db
from app.models import AnnotationStatus
from app.services.annotations import Quote
from tests.functional.api.conftest import API

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def doc(client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _routes(app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(method, OpenAPI path) for every /api/v1 rule in the URL map, worked out here afresh."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(f"{API}/"):
            path = re.sub(r"<(?:[^>:]+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(API))
            found |= {(m.lower(), path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def _documented(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(m, path) for path, item in doc["paths"].items() for m in item if m in METHODS}


def test_every_api_route_is_documented(app, doc) -> None:
    missing = _routes(app) - _documented(doc)
    assert not missing, f"routes without an OpenAPI description: {sorted(missing)}"


def test_every_documented_operation_exists(app, doc) -> None:
    extra = _documented(doc) - _routes(app)
    assert not extra, f"documented but not routed: {sorted(extra)}"


def test_the_contract_calls_are_all_there(doc) -> None:
    assert {
        ("post", "/tokens"), ("delete", "/tokens"), ("get", "/me"), ("get", "/articles"),
        ("get", "/articles/{slug}"), ("get", "/articles/{slug}/annotations"),
        ("post", "/articles/{slug}/annotations"), ("get", "/annotations/{annotation_id}"),
        ("patch", "/annotations/{annotation_id}"), ("delete", "/annotations/{annotation_id}"),
        ("get", "/openapi.json"),
        # CONTRACT §8
        ("get", "/users"), ("patch", "/users/{username}"), ("get", "/me/export"), ("delete", "/me"),
    } <= _documented(doc)  # fmt: skip


def test_the_document_is_valid_openapi_3_1(doc) -> None:
    assert doc["openapi"].startswith("3.1.")
    assert doc["servers"] == [{"url": API}]
    jsonschema_rs.validate(OPENAPI_31, doc)


def test_schemas_live_in_components_and_every_ref_resolves(doc) -> None:
    schemas = doc["components"]["schemas"]
    assert {"ErrorOut", "AnnotationOut", "AnnotationCreate", "ArticleOut"} <= set(schemas)
    assert doc["components"]["securitySchemes"] == {
        "bearer": {"type": "http", "scheme": "bearer"},
        "basic": {"type": "http", "scheme": "basic"},
    }

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            assert "$defs" not in node
            if "$ref" in node:
                prefix, _, name = node["$ref"].rpartition("/")
                assert prefix == "#/components/schemas"
                assert name in schemas, node["$ref"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)


def test_every_error_response_is_documented_with_the_error_schema(doc) -> None:
    error = {"$ref": "#/components/schemas/ErrorOut"}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for status, response in op["responses"].items():
                if int(status) >= 400:
                    assert response["content"]["application/json"]["schema"] == error, (
                        method,
                        path,
                        status,
                    )


def test_request_bodies_forbid_unknown_fields(doc) -> None:
    schemas = doc["components"]["schemas"]
    for name in ("AnnotationCreate", "AnnotationUpdate", "QuoteIn"):
        assert schemas[name]["additionalProperties"] is False


def test_write_operations_declare_their_security(doc) -> None:
    assert doc["paths"]["/tokens"]["post"]["security"] == [{"basic": []}]
    assert doc["paths"]["/me"]["get"]["security"] == [{"bearer": []}]
    assert {"bearer": []} in doc["paths"]["/articles"]["get"]["security"]


class Checker:
    """Validates real responses against the document's schema for that operation and status."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def __call__(self, response, method: str, path: str) -> None:  # type: ignore[no-untyped-def]
        op = self.doc["paths"][path][method]
        status = str(response.status_code)
        assert status in op["responses"], f"{method} {path} answered undocumented {status}"
        content = op["responses"][status].get("content")
        if content is None:
            assert response.data == b""
            return
        schema = {**content["application/json"]["schema"], "components": self.doc["components"]}
        jsonschema_rs.Draft202012Validator(schema).validate(response.get_json())


def test_real_responses_match_their_documented_schemas(client, make, bearer, doc) -> None:
    check = Checker(doc)
    user = make.user("ada")
    headers = bearer(user)
    article = make.article(slug="essay", source_url="https://example.org/essay")
    root = make.annotation(user, article, quote=Quote("a claim"))
    reply = make.annotation(user, article, parent=root)
    reply.status = AnnotationStatus.HIDDEN
    db.session.commit()

    check(client.get(f"{API}/openapi.json"), "get", "/openapi.json")
    check(client.get(f"{API}/me", headers=headers), "get", "/me")
    check(client.get(f"{API}/me"), "get", "/me")
    check(client.get(f"{API}/articles?limit=1"), "get", "/articles")
    check(client.get(f"{API}/articles", headers={"Authorization": "Bearer x"}), "get", "/articles")
    check(client.get(f"{API}/articles/essay", headers=headers), "get", "/articles/{slug}")
    check(client.get(f"{API}/articles/nope"), "get", "/articles/{slug}")
    listing = f"{API}/articles/essay/annotations"
    check(client.get(f"{listing}?limit=1"), "get", "/articles/{slug}/annotations")
    check(client.get(f"{listing}?limit=x"), "get", "/articles/{slug}/annotations")
    check(client.get(f"{API}/annotations/{reply.id}"), "get", "/annotations/{annotation_id}")
    posted = client.post(listing, json={"anchor": "p2", "kind": "question", "body": "Why?"},
                         headers=headers)  # fmt: skip
    check(posted, "post", "/articles/{slug}/annotations")
    check(client.post(listing, json={"anchor": "p2"}, headers=headers), "post",
          "/articles/{slug}/annotations")  # fmt: skip
    check(client.post(listing, data="x", headers=headers), "post", "/articles/{slug}/annotations")
    one = posted.headers["Location"]
    check(client.patch(one, json={"kind": "comment"}, headers=headers), "patch",
          "/annotations/{annotation_id}")  # fmt: skip
    check(client.delete(one), "delete", "/annotations/{annotation_id}")
    check(client.delete(one, headers=headers), "delete", "/annotations/{annotation_id}")
    check(client.delete(f"{API}/tokens", headers=headers), "delete", "/tokens")
    check(client.post(f"{API}/tokens"), "post", "/tokens")


def test_a_presenter_field_missing_from_the_schema_would_fail_validation(doc) -> None:
    # The response models forbid unknown properties, so the check above has teeth.
    schema = {"$ref": "#/components/schemas/MeOut", "components": doc["components"]}
    validator = jsonschema_rs.Draft202012Validator(schema)
    assert validator.is_valid({"username": "a", "display_name": "A", "role": "member"})
    assert not validator.is_valid(
        {"username": "a", "display_name": "A", "role": "member", "email": "a@example.org"}
    )


def test_each_body_limit_is_the_one_the_operation_enforces(client, make, bearer, doc) -> None:
    """The article imports take 3 MiB (app/uploads.py), every other body 1 MiB: the document
    says so per operation, and a body just over each limit is the documented 413."""
    article_ops = {("/articles", "post"), ("/articles/{slug}/revisions", "post")}
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            if "requestBody" not in op:
                continue
            size = "3 MiB" if (path, method) in article_ops else "1 MiB"
            assert op["requestBody"]["description"] == f"At most {size}.", (path, method)
            assert f"({size})" in op["responses"]["413"]["description"], (path, method)
    headers = bearer(make.user("teach", role="instructor"))
    two_mib = {"slug": "big", "markup": "md", "source": "# Big\n\n" + "word " * 300_000}
    over_one = client.post(f"{API}/articles", json=two_mib, headers=headers)
    assert over_one.status_code == 201, over_one.get_json()  # over 1 MiB, under 3: imported
    over_three = b'{"source": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    refused = client.post(
        f"{API}/articles", data=over_three, content_type="application/json", headers=headers
    )
    assert refused.status_code == 413
