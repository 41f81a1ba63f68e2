"""GET /api/v1/me: who the caller is, by token or cookie, and a JSON 401 for nobody."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import Unauthorized

from app.extensions import login_manager
from tests.factories import login
from tests.functional.api.conftest import API


def test_me_by_token_gives_username_display_name_and_role(client, make, bearer) -> None:
    user = make.user("grace", role="instructor", display_name="Grace H.")
    response = client.get(f"{API}/me", headers=bearer(user))
    assert response.status_code == 200
    assert response.get_json() == {
        "username": "grace",
        "display_name": "Grace H.",
        "role": "instructor",
    }


def test_me_by_session_cookie(client, make, sign_in) -> None:
    user = make.user("grace")
    sign_in(client, user)
    assert client.get(f"{API}/me").get_json()["username"] == "grace"


def test_me_follows_the_real_login_and_logout_pages(client, make) -> None:
    make.user("grace")
    login(client, "grace")
    assert client.get(f"{API}/me").get_json()["username"] == "grace"
    client.post("/logout")
    assert client.get(f"{API}/me").status_code == 401


def test_me_anonymous_is_a_json_401_with_a_bearer_challenge(client) -> None:
    response = client.get(f"{API}/me")
    assert response.status_code == 401
    assert response.is_json
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


def test_login_required_under_the_api_aborts_401_instead_of_redirecting(app) -> None:
    # Guards future views that use @login_required rather than require_user().
    with app.test_request_context(f"{API}/me"), pytest.raises(Unauthorized):
        login_manager.unauthorized()
