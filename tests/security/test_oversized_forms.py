"""What a form may make the app parse: url-encoded forms are bounded by MAX_FORM_PARTS too.

Werkzeug counts the parts of a multipart form only; a url-encoded one with 5,000 fields was
parsed and answered like any other. (Slow bodies are in test_races.py, on a real server.)
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.functional.web.page import parse


def _fields(n: int) -> str:
    return "&".join(f"f{i}=x" for i in range(n))


@pytest.mark.parametrize("path", ["/login", "/register", "/articles/nope/p/p1/annotations"])
def test_a_form_with_thousands_of_fields_is_a_413_page(client: FlaskClient, path: str) -> None:
    answer = client.post(path, data=_fields(5000),
                         content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert answer.status_code == 413
    assert "too many fields" in parse(answer.data).text


def test_a_form_within_the_limit_is_read(app: Flask, client: FlaskClient, make) -> None:
    user = make.user()
    limit = app.config["MAX_FORM_PARTS"]
    padding = "&".join(f"f{i}=x" for i in range(limit - 3))
    body = f"username={user.username}&password=wrong-password&{padding}"
    answer = client.post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 422  # read and judged: the password is wrong
    assert "do not match" in parse(answer.data).text


def test_a_form_over_the_form_memory_limit_is_a_413_before_it_is_read(
    app: Flask, client: FlaskClient
) -> None:
    # Under MAX_CONTENT_LENGTH (1 MiB) but over MAX_FORM_MEMORY_SIZE (512 KiB): one big field.
    size = app.config["MAX_FORM_MEMORY_SIZE"] + 1024
    assert size < app.config["MAX_CONTENT_LENGTH"]
    answer = client.post("/login", data="username=" + "a" * size,
                         content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert answer.status_code == 413


def test_the_api_refuses_a_form_body_as_before(client: FlaskClient) -> None:
    answer = client.post("/api/v1/groups/join", data=_fields(5000),
                         content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert answer.status_code in (401, 413, 415)
    assert answer.is_json
