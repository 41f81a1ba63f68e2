"""The answers a full schemathesis run found off the OpenAPI document (issue 15), one by one.

The run itself is test_schemathesis.py; these pin each finding down, readable on its own.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.factories import Factories

API = "/api/v1"
LARGE_IDS = (6391579175960203, 1152921504606846975)


@pytest.fixture
def token(make: type[Factories], bearer: Any) -> dict[str, str]:
    make.article(slug="essay")
    return bearer(make.user("teach", role="instructor"))  # type: ignore[no-any-return]


@pytest.mark.parametrize("large", LARGE_IDS)
@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", "/annotations/{}"), ("PATCH", "/annotations/{}"),
     ("GET", "/annotations/{}/feedback"), ("POST", "/annotations/{}/moderation")],
)  # fmt: skip
def test_a_large_id_is_the_404_any_unknown_id_gets_not_a_405(
    client: FlaskClient, token: dict[str, str], method: str, path: str, large: int
) -> None:
    response = client.open(API + path.format(large), method=method, json={}, headers=token)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_every_documented_id_parameter_states_its_range(client: FlaskClient) -> None:
    document = client.get(f"{API}/openapi.json").get_json()
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["schema"].get("type") == "integer" and parameter["in"] == "path":
                    assert parameter["schema"]["minimum"] == 1
                    assert parameter["schema"]["maximum"] == 2**31 - 1


@pytest.mark.parametrize("cursor", ["0", "", "01", "2147483648", "djE6NQ"])
@pytest.mark.parametrize("path", ["/notifications", "/articles", "/groups"])
def test_a_cursor_the_schema_refuses_is_refused_and_one_it_allows_is_accepted(
    client: FlaskClient, token: dict[str, str], path: str, cursor: str
) -> None:
    document = client.get(f"{API}/openapi.json").get_json()
    parameters = document["paths"][path]["get"]["parameters"]
    pattern = re.compile(next(p for p in parameters if p["name"] == "cursor")["schema"]["pattern"])
    assert not pattern.search(cursor)
    refused = client.get(f"{API}{path}?cursor={cursor}", headers=token)
    assert refused.status_code == 422
    assert set(refused.get_json()["error"]["fields"]) == {"cursor"}
    assert pattern.search("1")
    assert client.get(f"{API}{path}?cursor=1", headers=token).status_code == 200


def test_options_on_groups_join_lists_only_its_real_methods(client: FlaskClient) -> None:
    response = client.options(f"{API}/groups/join")
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"POST", "OPTIONS"}


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE", "PUT"])
def test_other_methods_on_groups_join_are_a_405_naming_post(
    client: FlaskClient, token: dict[str, str], method: str
) -> None:
    response = client.open(f"{API}/groups/join", method=method, json={}, headers=token)
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert response.get_json()["error"]["code"] == "bad_request"
