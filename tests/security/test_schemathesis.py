"""Schemathesis against /api/v1/openapi.json, in process: no 5xx, and every answer as described.

Property-based: each operation of the document gets a few generated requests (derandomized, so
every run sends the same ones), sent with a Bearer token through the WSGI app. Path parameters
name real things (an article and a group both called "essay", a real annotation, a member), so
the requests reach the views rather than stopping at a 404.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.factories import Factories
from tests.security.world import build_world

EXAMPLES = 6  # per operation: about 30 operations, a few seconds in all


@pytest.fixture
def api_world(make: type[Factories], bearer) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    world = build_world(make)
    # A group with the article's slug: /groups/{slug} and /articles/{slug} both find something.
    make.groups.group(world.teach, "Essay", (world.article,))
    return {
        # identity: the WSGI transport does not undo Flask-Compress's gzip as a client would.
        "headers": {**bearer(world.teach), "Accept-Encoding": "identity"},
        "path": {
            "slug": "essay",
            "article": world.article.slug,
            "annotation_id": world.group_note.id,
            "username": world.pupil.username,
        },
    }


def test_the_api_never_fails_and_answers_as_documented(
    app: Flask, api_world: dict[str, Any]
) -> None:
    config = SchemathesisConfig.from_dict({"cache": {"enabled": False}})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    # Revoking the token it is sent with would leave every later call a (correct) 401.
    operations = [
        r.ok() for r in schema.exclude(path="/tokens", method="DELETE").get_all_operations()
    ]
    sent: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            # Real things in the path (the bodies and query strings stay generated).
            for name in case.path_parameters or {}:
                case.path_parameters[name] = api_world["path"].get(name, case.path_parameters[name])
            response = case.call_and_validate(
                headers=api_world["headers"],
                checks=[not_a_server_error, response_schema_conformance],
            )
            sent.append(f"{case.operation.label} {response.status_code}")

        check()
    assert len(operations) >= 30
    assert len(sent) >= 3 * len(operations)
    statuses = Counter(line.rsplit(" ", 1)[1] for line in sent)
    print(f"schemathesis: {len(sent)} requests, {len(operations)} operations, {dict(statuses)}")
