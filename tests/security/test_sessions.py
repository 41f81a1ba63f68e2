"""Sessions end when they should: a new one at sign-in, none after sign-out or a password change.

"A copy of the cookies" is what a thief holds: the session cookie and the remember-me cookie,
taken before the user signed out or changed their password, replayed from another client.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app import create_app
from app.config import ConfigError
from app.extensions import db
from app.models import ApiToken, User
from app.services.backup import backup_database
from app.services.tokens import issue_token
from tests.factories import PASSWORD
from tests.functional.web.page import parse
from tests.security.conftest import DbState, db_state, limiter_restored, sign_in

NEW_PASSWORD = "a fresh and unusual passphrase 42"
Cookies = dict[str, str]


def cookies_of(client: FlaskClient) -> Cookies:
    """The session and remember-me cookies the client holds."""
    held = (client.get_cookie(name) for name in ("session", "remember_token"))
    return {cookie.key: cookie.value for cookie in held if cookie is not None}


def replay(app: Flask, cookies: Cookies) -> FlaskClient:
    """A new client holding copies of `cookies`, as a thief would."""
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief


def who(client: FlaskClient) -> str | None:
    """The username the app takes the client for, through GET /api/v1/me (None: nobody)."""
    response = client.get("/api/v1/me")
    return response.get_json()["username"] if response.status_code == 200 else None


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = parse(client.get(path).data)
    return page.find("input", name="csrf_token").attrs["value"]


# --- signing in ---------------------------------------------------------------------------


def test_signing_in_replaces_the_session_cookie_set_before(app: Flask, make, csrf_on) -> None:
    user = make.user()
    client = app.test_client()
    client.get("/login")  # an anonymous session (its CSRF token) an attacker could plant
    before = cookies_of(client)["session"]
    sign_in(client, user.username)
    assert cookies_of(client)["session"] != before
    assert who(replay(app, {"session": before})) is None
    assert who(client) == user.username


def test_a_csrf_token_from_before_signing_in_is_void_after(app: Flask, make, csrf_on) -> None:
    user = make.user()
    client = app.test_client()
    planted = csrf_token(client)
    response = client.post(
        "/login", data={"username": user.username, "password": PASSWORD, "csrf_token": planted}
    )
    assert response.status_code == 302
    assert client.post("/logout", data={"csrf_token": planted}).status_code == 400
    assert who(client) == user.username
    fresh = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": fresh}).status_code == 302


# --- signing out --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "copied", [("session", "remember_token"), ("remember_token",), ("session",)]
)
def test_cookies_copied_before_sign_out_no_longer_work(
    app: Flask, make, copied: tuple[str, ...]
) -> None:
    user = make.user()
    client = sign_in(app.test_client(), user.username, remember=True)
    stolen = {k: v for k, v in cookies_of(client).items() if k in copied}
    assert who(replay(app, stolen)) == user.username  # the copy works while signed in
    assert client.post("/logout").status_code == 302
    assert who(client) is None
    assert who(replay(app, stolen)) is None
    assert not parse(replay(app, stolen).get("/").data).has(cls="account-name")


def test_signing_out_signs_out_every_device(app: Flask, make) -> None:
    user = make.user()
    laptop = sign_in(app.test_client(), user.username, remember=True)
    phone = sign_in(app.test_client(), user.username, remember=True)
    laptop.post("/logout")
    assert who(phone) is None


# --- the account page and changing the password -------------------------------------------


def _change(client: FlaskClient, current: str, new: str, confirm: str | None = None):  # type: ignore[no-untyped-def]
    data = {"current_password": current, "new_password": new, "confirm": confirm or new}
    return client.post("/account/password", data=data)


def test_the_account_page_needs_a_signed_in_user(client: FlaskClient) -> None:
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"] in ("/login?next=/account", "/login?next=%2Faccount")
    assert client.post("/account/password", data={}).status_code == 302


def test_the_account_page_shows_the_name_and_a_password_form(app, make, csrf_on) -> None:  # type: ignore[no-untyped-def]
    user = make.user(display_name="Ada L.")
    client = app.test_client()
    client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    page = parse(client.get("/account").data)
    assert page.find("dd", cls="account-display-name").text == "Ada L."
    form = page.find("form", action="/account/password")
    assert form.find("input", name="csrf_token").attrs["value"]
    names = [i.attrs["name"] for i in form.find_all("input") if i.attrs.get("type") == "password"]
    assert names == ["current_password", "new_password", "confirm"]
    header = parse(client.get("/").data).find("nav", cls="account")
    assert header.find("a", href="/account").text == "Account"
    assert client.post("/account/password", data={}).status_code == 400  # CSRF, like every form


def _stored_hash(user: User) -> str:
    db.session.expire_all()
    return db.session.get(User, user.id).password_hash  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "message"),
    [
        ("wrong password", NEW_PASSWORD, None, "current_password", "not your password"),
        (PASSWORD, "short", None, "new_password", "at least 8 characters"),
        (PASSWORD, "password123", None, "new_password", "commonly used"),
        (PASSWORD, NEW_PASSWORD, "something else", "confirm", "differ"),
    ],
)
def test_a_refused_password_change_says_why_and_changes_nothing(
    app, make, current: str, new: str, confirm: str | None, field: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    user = make.user()
    before = _stored_hash(user)
    client = sign_in(app.test_client(), user.username)
    response = _change(client, current, new, confirm)
    assert response.status_code == 422
    assert message in parse(response.data).find(id=f"{field}-error").text
    assert _stored_hash(user) == before
    assert who(client) == user.username


def test_changing_the_password_keeps_this_device_and_ends_every_other(app, make) -> None:  # type: ignore[no-untyped-def]
    user = make.user()
    here = sign_in(app.test_client(), user.username, remember=True)
    there = sign_in(app.test_client(), user.username, remember=True)
    copied_here, copied_there = cookies_of(here), cookies_of(there)

    response = _change(here, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    assert "Every other device is signed out" in here.get("/account").get_data(as_text=True)

    assert who(here) == user.username
    # This device stays remembered, with a cookie that carries the new session token.
    assert who(replay(app, {"remember_token": cookies_of(here)["remember_token"]})) is not None
    for stale in (copied_here, copied_there, {"remember_token": copied_there["remember_token"]}):
        assert who(replay(app, stale)) is None
    assert who(there) is None
    old = app.test_client().post("/login", data={"username": user.username, "password": PASSWORD})
    assert old.status_code == 422
    fresh = app.test_client().post(
        "/login", data={"username": user.username, "password": NEW_PASSWORD}
    )
    assert fresh.status_code == 302


def test_a_device_signed_in_without_remember_me_gets_no_remember_cookie(app, make) -> None:  # type: ignore[no-untyped-def]
    user = make.user()
    client = sign_in(app.test_client(), user.username)
    _change(client, PASSWORD, NEW_PASSWORD)
    assert "remember_token" not in cookies_of(client)
    assert who(client) == user.username


def test_changing_the_password_revokes_every_api_token(app, make, bearer) -> None:  # type: ignore[no-untyped-def]
    user = make.user()
    token = bearer(user)
    assert app.test_client().get("/api/v1/me", headers=token).status_code == 200
    _change(sign_in(app.test_client(), user.username), PASSWORD, NEW_PASSWORD)
    assert app.test_client().get("/api/v1/me", headers=token).status_code == 401


# --- what a database dump gives away ------------------------------------------------------


def _dump_text(state: DbState) -> str:
    return "\n".join(repr(row) for rows in state.values() for row in rows)


def test_a_database_dump_holds_no_password_or_raw_token(app, make, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    user = make.user()
    client = app.test_client()
    issued = client.post("/api/v1/tokens", auth=(user.username, PASSWORD)).get_json()
    raw = issued["token"]
    dump = _dump_text(db_state())
    assert raw not in dump
    assert raw.removeprefix("cp_") not in dump
    assert PASSWORD not in dump
    stored = db.session.scalars(select(ApiToken.token_hash)).one()
    assert re.fullmatch(r"[0-9a-f]{64}", stored)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # The real backup file too (a PostgreSQL dump is compressed: the rows above stand in).
        info = backup_database(db.engine, tmp_path / "backup.sqlite3")
        data = info.path.read_bytes()
        assert raw.encode() not in data
        assert PASSWORD.encode() not in data


def test_session_tokens_in_a_dump_are_useless_without_the_secret_key(app, make) -> None:  # type: ignore[no-untyped-def]
    user = make.user()
    dumped = f"{user.id}:{user.session_token}"  # what users.session_token gives an attacker
    forger = Flask("forger")
    forger.config["SECRET_KEY"] = "a-guess-at-the-secret-key-that-is-long-enough"
    with forger.test_client() as forging, forging.session_transaction() as session:
        session["_user_id"] = dumped
        session["_fresh"] = True
    forged = forging.get_cookie("session")
    assert forged is not None
    assert who(replay(app, {"session": forged.value})) is None


def test_tokens_expire_and_revoke(app, make, bearer) -> None:  # type: ignore[no-untyped-def]
    user = make.user()
    lapsed, _ = issue_token(user, lifetime=timedelta(seconds=-1))
    db.session.commit()
    client = app.test_client()
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {lapsed}"}).status_code == 401
    )
    headers = bearer(user)
    assert client.delete("/api/v1/tokens", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


# --- production settings ------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "changeme", "secret", "dev", "x" * 31, "development"])
def test_production_refuses_to_start_with_a_weak_or_missing_secret_key(
    secret: str | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    settings = {"COUNTERPOINT_ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path}/p.db"}
    if secret is not None:
        settings["SECRET_KEY"] = secret
    with limiter_restored(), pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(settings)


def test_production_starts_with_a_long_random_secret_key(tmp_path: Path) -> None:
    settings = {
        "COUNTERPOINT_ENV": "production",
        "DATABASE_URL": f"sqlite:///{tmp_path}/p.db",
        "SECRET_KEY": "9f2c" * 16,
        "PREFERRED_URL_SCHEME": "https",
    }
    with limiter_restored():
        production = create_app(settings)
    assert not production.testing
    assert not production.debug
    assert production.config["SESSION_COOKIE_SECURE"]
    assert production.config["REMEMBER_COOKIE_SECURE"]
    assert production.config["RATELIMIT_ENABLED"]
