"""Ids too large for the database get a clean refusal: 404 in a path, 400/422 in a query or form.

An id past 2**31 cannot be in a PostgreSQL integer column, and one past 2**63 cannot even be
bound by SQLite (OverflowError). Both used to reach the database from the pages (a 500, for
anonymous callers too) and, through a second route on the same path, answer 405 in the API.
Every route of the URL map with an id in its path is swept, so new ones are covered too.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.api.pagination import encode_cursor
from app.extensions import db
from app.models import Annotation
from app.routing import MAX_ID, decimal_range_pattern, parse_id
from tests.security.conftest import sign_in
from tests.security.routes import routes
from tests.security.world import World, build_world

# Just past PostgreSQL's integer, just past SQLite's INTEGER, and far past both.
HUGE = (MAX_ID + 1, 2**63, 10**30)
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@pytest.fixture
def world(make):  # type: ignore[no-untyped-def]
    return build_world(make)


def _id_routes(app: Flask) -> list[Any]:
    found = []
    for route in routes(app, METHODS):
        kinds = route.kinds()
        if any(kind == "annotation" or kind.startswith("row:") for kind in kinds.values()):
            found.append(route)
    return found


def _huge_values(world: World, huge: int) -> dict[str, Any]:
    values = world.values(annotation=huge)
    for table in db.metadata.tables:  # every row an id in a path can name, new tables too
        values[f"row:{table}"] = huge
    return values


def test_parse_id_takes_canonical_ids_in_range_only() -> None:
    assert [parse_id(s) for s in ("1", "42", str(MAX_ID))] == [1, 42, MAX_ID]
    refused = ["", "0", "-1", "+1", "007", " 1", "1 ", "1.0", "1e3", "²", "٣", "abc",
               str(MAX_ID + 1), "9" * 40, None]  # fmt: skip
    assert [parse_id(s) for s in refused] == [None] * len(refused)


@pytest.mark.parametrize("top", [1, 9, 10, 19, 20, 99, 100, 101, 909, 1000, 2147, 30517])
def test_the_range_pattern_matches_exactly_one_to_top(top: int) -> None:
    pattern = re.compile(decimal_range_pattern(top))
    matched = [n for n in range(0, top * 3 + 20) if pattern.fullmatch(str(n))]
    assert matched == list(range(1, top + 1))
    assert not pattern.fullmatch("0" + str(top))


@pytest.mark.parametrize("huge", HUGE)
def test_an_id_out_of_range_in_any_path_is_a_404_for_every_caller_and_method(
    app: Flask, world: World, bearer: Any, huge: int
) -> None:
    assert len(_id_routes(app)) >= 15  # pages and API alike
    anonymous = app.test_client()
    member = sign_in(app.test_client(), world.pupil.username)
    token = bearer(world.teach)
    problems = []
    for route in _id_routes(app):
        url = route.url(app, _huge_values(world, huge))
        callers = [(anonymous, {}), (member, token if route.is_api else {})]
        for client, headers in callers:
            response = client.open(url, method=route.method, headers=headers)
            if response.status_code != 404:
                problems.append(f"{route.method} {url}: {response.status_code}")
            elif route.is_api and route.method != "HEAD":
                assert response.get_json()["error"]["code"] == "not_found"
    assert not problems, "\n".join(problems)


def test_the_largest_id_is_looked_up_and_simply_not_found(app: Flask, world: World) -> None:
    client = sign_in(app.test_client(), world.pupil.username)
    assert client.get(f"/annotations/{MAX_ID}").status_code == 404
    assert client.get(f"/api/v1/annotations/{MAX_ID}/feedback").status_code == 404


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("pupil", "/notifications?before={}"),
        ("teach", "/groups/seminar/moderation?after={}"),
        ("teach", "/groups/seminar/moderation/log?before={}"),
    ],
)
@pytest.mark.parametrize("value", [*HUGE, "0", "-5", "abc"])
def test_an_id_out_of_range_in_a_page_query_is_a_400(
    app: Flask, world: World, who: str, path: str, value: object
) -> None:
    client = sign_in(app.test_client(), world.user(who).username)
    assert client.get(path.format(value)).status_code == 400
    # In range, and empty (a bare link), they still work.
    assert client.get(path.format(1)).status_code == 200
    assert client.get(path.format("")).status_code == 200


@pytest.mark.parametrize("huge", HUGE)
def test_an_api_cursor_past_the_largest_id_is_a_422(
    client: FlaskClient, world: World, bearer: Any, huge: int
) -> None:
    headers = bearer(world.pupil)
    response = client.get(f"/api/v1/notifications?cursor={encode_cursor(huge)}", headers=headers)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"cursor"}


@pytest.mark.parametrize("parent", [*(str(h) for h in HUGE), "abc", "-1"])
def test_a_reply_form_naming_an_impossible_parent_is_a_422_and_stores_nothing(
    app: Flask, world: World, parent: str
) -> None:
    client = sign_in(app.test_client(), world.pupil.username)
    before = db.session.query(Annotation).count()
    form = {"kind": "comment", "body": "A reply to nothing.", "parent": parent}
    response = client.post("/articles/essay/p/p2/annotations", data=form)
    assert response.status_code == 422
    assert "No such annotation to reply to." in response.get_data(as_text=True)
    assert "A reply to nothing." in response.get_data(as_text=True)  # the text is kept
    db.session.rollback()
    assert db.session.query(Annotation).count() == before


def test_a_reply_link_with_an_impossible_id_opens_no_form_and_no_error(
    client: FlaskClient, world: World
) -> None:
    for huge in HUGE:
        assert client.get(f"/articles/essay/p/p2?reply={huge}").status_code == 200
