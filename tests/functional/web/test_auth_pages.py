"""Registering, signing in and out through the HTML forms, and where the browser goes next."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import User
from app.web.present import safe_next
from tests.factories import PASSWORD, login
from tests.functional.web.page import parse

EVIL = [
    "//evil.example/",
    "///evil.example/",
    "https://evil.example/",
    "http:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    " /articles",
    "evil.example",
    "",
]


def _register(client, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "username": "newcomer",
        "display_name": "New Comer",
        "email": "newcomer@example.edu",
        "password": PASSWORD,
        "confirm": PASSWORD,
    } | overrides
    return client.post("/register", data=data)


def test_registering_creates_the_account_and_signs_in(client, app_ctx) -> None:
    response = _register(client, next="/articles/x")
    assert response.status_code == 302
    assert response.headers["Location"] == "/articles/x"
    user = db.session.query(User).filter_by(username="newcomer").one()
    assert user.display_name == "New Comer"
    page = parse(client.get("/").data)
    assert page.find(cls="account-name").text == "New Comer"
    assert page.find("form", action="/logout").find("input", name="csrf_token")


def test_registration_errors_appear_by_their_fields_and_keep_the_input(client, make) -> None:
    make.user("taken")
    response = _register(
        client, username="x", display_name="Keep Me", password="password", confirm="password"
    )
    assert response.status_code == 422
    page = parse(response.data)
    assert "3–40 letters" in page.find(id="username-error").text
    assert "commonly used" in page.find(id="password-error").text
    assert page.find("input", name="username").attrs["value"] == "x"
    assert page.find("input", name="display_name").attrs["value"] == "Keep Me"
    assert page.find("input", name="password").attrs.get("value", "") == ""  # never echoed

    taken = parse(_register(client, username="taken").data)
    assert taken.find(id="username-error").text == "That username is taken."
    mismatch = parse(_register(client, confirm="something else entirely").data)
    assert mismatch.find(id="confirm-error").text == "The two passwords differ."
    assert db.session.query(User).count() == 1


def test_a_wrong_password_gets_a_clear_message_and_no_session(client, make) -> None:
    user = make.user()
    response = client.post("/login", data={"username": user.username, "password": "wrong one"})
    assert response.status_code == 422
    page = parse(response.data)
    assert "do not match an account" in page.find(id="password-error").text
    assert page.find("input", name="username").attrs["value"] == user.username
    assert not parse(client.get("/").data).has(cls="account-name")


def test_signing_in_starts_a_new_session(client, make) -> None:
    user = make.user()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(client, user.username)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(f"{user.id}:")


def test_remember_me_sets_a_lasting_cookie_only_when_asked(client, make, app) -> None:
    user = make.user()
    login(client, user.username)
    assert client.get_cookie("remember_token") is None
    other = app.test_client()
    other.post("/login", data={"username": user.username, "password": PASSWORD, "remember": "y"})
    assert other.get_cookie("remember_token") is not None


def test_signing_out_takes_a_post_and_ends_the_session_for_good(client, make, app) -> None:
    user = make.user()
    login(client, user.username)
    with client.session_transaction() as session:
        stolen = dict(session)
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.status_code == 302
    assert not parse(client.get("/").data).has(cls="account-name")
    replay = app.test_client()
    with replay.session_transaction() as session:
        session.update(stolen)
    assert not parse(replay.get("/").data).has(cls="account-name")


@pytest.mark.parametrize("target", EVIL)
def test_next_never_leads_off_site(client, make, target: str) -> None:
    user = make.user()
    form = parse(client.get("/login", query_string={"next": target}).data)
    assert form.find("input", name="next").attrs.get("value", "") == ""
    response = client.post(
        "/login", data={"username": user.username, "password": PASSWORD, "next": target}
    )
    assert response.headers["Location"] == "/"
    registered = _register(client, username=f"user-{abs(hash(target)) % 10_000}", next=target)
    assert registered.headers["Location"] == "/"


@pytest.mark.parametrize("target", EVIL)
def test_safe_next_refuses_anything_but_a_local_path(target: str) -> None:
    assert safe_next(target) is None


def test_next_goes_back_to_a_local_page(client, make) -> None:
    user = make.user()
    page = parse(client.get("/login?next=/articles/a/p/p2").data)
    assert page.find("input", name="next").attrs["value"] == "/articles/a/p/p2"
    response = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "next": "/articles/a/p/p2?x=1"},
    )
    assert response.headers["Location"] == "/articles/a/p/p2?x=1"


def test_the_header_offers_sign_in_and_register_back_to_this_page(client, make) -> None:
    article = make.article()
    page = parse(client.get(f"/articles/{article.slug}").data)
    account = page.find("nav", cls="account")
    hrefs = [a.attrs["href"] for a in account.find_all("a")]
    assert hrefs == [
        f"/login?next=/articles/{article.slug}",
        f"/register?next=/articles/{article.slug}",
    ]
