"""Every error under /api/ is JSON {"error": {"code", "message"}}, never an HTML page."""

from __future__ import annotations

import pytest

from tests.functional.api.conftest import API

CODES = {"bad_request", "validation", "unauthorized", "forbidden", "not_found", "conflict",
         "rate_limited", "server_error"}  # fmt: skip


def _assert_json_error(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["code"] in CODES
    assert isinstance(error["message"], str)
    assert error["message"]


@pytest.mark.parametrize(
    "path", [f"{API}/nope", f"{API}/", f"{API}/articles/x/y/z", "/api/v2/articles", "/api/"]
)
def test_unknown_api_paths_are_json_404(client, path: str) -> None:
    _assert_json_error(client.get(path), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", f"{API}/articles"),
        ("post", f"{API}/me"),
        ("delete", f"{API}/articles/essay"),
        ("get", f"{API}/tokens"),
        ("put", f"{API}/annotations/1"),
    ],
)
def test_wrong_methods_are_json_405(client, method: str, path: str) -> None:
    _assert_json_error(getattr(client, method)(path), 405, "bad_request")


def test_validation_errors_carry_fields(client, make) -> None:
    make.article(slug="essay")
    response = client.get(f"{API}/articles/essay/annotations?limit=1000")
    _assert_json_error(response, 422, "validation")
    assert set(response.get_json()["error"]["fields"]) == {"limit"}


def test_a_body_over_the_size_limit_is_a_json_413(client, make, bearer) -> None:
    make.article(slug="essay")
    headers = bearer(make.user())
    big = '{"body": "' + "x" * (1024 * 1024) + '"}'
    response = client.post(
        f"{API}/articles/essay/annotations",
        data=big,
        content_type="application/json",
        headers=headers,
    )
    _assert_json_error(response, 413, "bad_request")


def test_the_api_never_answers_with_html(client, make) -> None:
    for response in (
        client.get(f"{API}/me"),
        client.get(f"{API}/articles/nope"),
        client.get(f"{API}/annotations/1"),
        client.post(f"{API}/tokens"),
        client.patch(f"{API}/annotations/1", json={}),
    ):
        assert response.mimetype == "application/json", response.status
        assert b"<html" not in response.data.lower()
