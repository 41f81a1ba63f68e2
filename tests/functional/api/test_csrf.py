"""CSRF: cookie-authenticated writes need X-CSRFToken; token and Basic requests do not."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Annotation
from tests.factories import PASSWORD
from tests.functional.api.conftest import API, basic

POST = f"{API}/articles/essay/annotations"
NOTE = {"anchor": "p2", "kind": "comment", "body": "From the browser"}


@pytest.fixture
def member(make):  # type: ignore[no-untyped-def]
    make.article(slug="essay")
    return make.user("member")


def _stored() -> int:
    db.session.expire_all()
    return db.session.query(Annotation).count()


def test_cookie_write_without_the_csrf_header_is_refused(client, member, sign_in, csrf_on) -> None:
    sign_in(client, member)
    response = client.post(POST, json=NOTE)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request"
    assert "X-CSRFToken" in error["message"]
    assert _stored() == 0


def test_cookie_write_with_a_wrong_csrf_header_is_refused(client, member, sign_in, csrf_on) -> None:
    sign_in(client, member)
    assert client.post(POST, json=NOTE, headers={"X-CSRFToken": "forged"}).status_code == 400


def test_cookie_write_with_the_csrf_header_is_accepted(client, member, sign_in, csrf_on) -> None:
    csrf = sign_in(client, member)
    response = client.post(POST, json=NOTE, headers=csrf)
    assert response.status_code == 201
    url = response.headers["Location"]
    assert client.patch(url, json={"body": "edited"}).status_code == 400
    assert client.patch(url, json={"body": "edited"}, headers=csrf).status_code == 200
    assert client.delete(url, headers=csrf).status_code == 204


def test_token_write_needs_no_csrf_header(client, member, bearer, csrf_on) -> None:
    assert client.post(POST, json=NOTE, headers=bearer(member)).status_code == 201


def test_a_token_write_is_judged_by_the_token_even_with_a_cookie(
    client, member, make, bearer, sign_in, csrf_on
) -> None:
    sign_in(client, member)
    other = make.user("other")
    response = client.post(POST, json=NOTE, headers=bearer(other))
    assert response.status_code == 201
    assert response.get_json()["author"]["username"] == "other"


def test_basic_auth_token_requests_need_no_csrf_header(
    client, member, sign_in, bearer, csrf_on
) -> None:
    sign_in(client, member)  # even alongside a session cookie
    issued = client.post(f"{API}/tokens", headers=basic("member", PASSWORD))
    assert issued.status_code == 201
    headers = {"Authorization": f"Bearer {issued.get_json()['token']}"}
    assert client.delete(f"{API}/tokens", headers=headers).status_code == 204


def test_anonymous_writes_get_401_not_a_csrf_error(client, member, csrf_on) -> None:
    assert client.post(POST, json=NOTE).status_code == 401


def test_cookie_reads_need_no_csrf_header(client, member, sign_in, csrf_on) -> None:
    sign_in(client, member)
    assert client.get(f"{API}/me").status_code == 200
