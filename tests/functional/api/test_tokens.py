"""POST/DELETE /api/v1/tokens: a password buys a token; a revoked or lapsed token buys nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.extensions import db
from app.services.tokens import TOKEN_LIFETIME, issue_token
from tests.factories import PASSWORD
from tests.functional.api.conftest import API, basic


def test_basic_credentials_get_a_201_token_that_then_authenticates(client, make) -> None:
    make.user("ada")
    response = client.post(f"{API}/tokens", headers=basic("ada", PASSWORD))
    assert response.status_code == 201
    data = response.get_json()
    assert set(data) == {"token", "expires"}
    expires = datetime.fromisoformat(data["expires"])
    assert data["expires"].endswith("Z")
    assert abs(expires - (datetime.now(UTC) + TOKEN_LIFETIME)) < timedelta(minutes=1)
    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {data['token']}"})
    assert me.status_code == 200
    assert me.get_json()["username"] == "ada"


def test_username_in_basic_credentials_is_case_insensitive(client, make) -> None:
    make.user("ada")
    assert client.post(f"{API}/tokens", headers=basic("ADA", PASSWORD)).status_code == 201


def test_wrong_password_is_401_with_a_basic_challenge(client, make) -> None:
    make.user("ada")
    response = client.post(f"{API}/tokens", headers=basic("ada", "not the password"))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_unknown_user_is_401_like_a_wrong_password(client, make) -> None:
    make.user("ada")
    unknown = client.post(f"{API}/tokens", headers=basic("nobody", PASSWORD)).get_json()
    wrong = client.post(f"{API}/tokens", headers=basic("ada", "nope-nope")).get_json()
    assert unknown == wrong


def test_no_credentials_or_a_bearer_token_cannot_buy_a_token(client, make, bearer) -> None:
    user = make.user()
    assert client.post(f"{API}/tokens").status_code == 401
    assert client.post(f"{API}/tokens", headers=bearer(user)).status_code == 401


def test_nul_in_the_basic_username_is_a_plain_401(client, make) -> None:
    assert client.post(f"{API}/tokens", headers=basic("ada\x00", PASSWORD)).status_code == 401


def test_delete_revokes_the_token_sent_and_it_is_401_afterwards(client, make, bearer) -> None:
    user = make.user()
    headers, other = bearer(user), bearer(user)
    assert client.delete(f"{API}/tokens", headers=headers).status_code == 204
    refused = client.get(f"{API}/me", headers=headers)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "unauthorized"
    assert client.delete(f"{API}/tokens", headers=headers).status_code == 401
    # Only the token sent is revoked; the user's other tokens still work.
    assert client.get(f"{API}/me", headers=other).status_code == 200


def test_expired_token_is_401(client, make) -> None:
    user = make.user()
    raw, _ = issue_token(user, lifetime=timedelta(seconds=-1))
    db.session.commit()
    response = client.get(f"{API}/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


def test_a_bad_token_is_401_even_where_anonymous_callers_are_served(client, make) -> None:
    make.article(slug="open")
    for header in ("Bearer cp_not-a-token", "Bearer ", "bearer cp_x"):
        response = client.get(f"{API}/articles/open", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_a_bad_token_is_401_even_with_a_valid_session_cookie(client, make, sign_in) -> None:
    user = make.user()
    sign_in(client, user)
    assert client.get(f"{API}/me").status_code == 200
    response = client.get(f"{API}/me", headers={"Authorization": "Bearer cp_revoked"})
    assert response.status_code == 401


def test_delete_without_a_bearer_token_is_401_even_when_signed_in(client, make, sign_in) -> None:
    user = make.user()
    sign_in(client, user)
    assert client.delete(f"{API}/tokens").status_code == 401


def test_token_requests_leave_no_session_cookie_behind(client, make, bearer) -> None:
    user = make.user()
    response = client.get(f"{API}/me", headers=bearer(user))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
