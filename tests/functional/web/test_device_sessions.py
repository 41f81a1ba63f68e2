"""Sessions per device: listed on the account page, signed out one by one, ended by idling,
and "keep me signed in" that lasts 30 days, not a year."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from app.extensions import db
from app.models import UserSession
from app.models.base import utcnow
from app.services.user_sessions import summarise_agent
from tests.factories import login
from tests.functional.web.page import parse

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def _device(app: Flask, agent: str, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": agent, "REMOTE_ADDR": address})
    return client


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/api/v1/me").status_code == 200


def _rows(user_id: int) -> list[UserSession]:
    db.session.expire_all()
    return list(db.session.scalars(select(UserSession).where(UserSession.user_id == user_id)))


def test_the_account_page_lists_each_signed_in_device(app: Flask, make) -> None:
    user = make.user()
    laptop = _device(app, FIREFOX, "192.0.2.1")
    phone = _device(app, IPHONE, "198.51.100.2")
    login(laptop, user.username)
    login(phone, user.username)
    page = parse(laptop.get("/account").data)
    items = page.find_all("li", cls="session-item")
    assert len(items) == 2
    texts = [item.text for item in items]
    assert any("Firefox on Linux" in t and "192.0.2.1" in t and "This device" in t for t in texts)
    assert any(
        "Safari on iOS" in t and "198.51.100.2" in t and "This device" not in t for t in texts
    )
    buttons = [b for b in page.find_all("button") if b.text.strip() == "Sign out this one"]
    assert len(buttons) == 2
    assert all(b.attrs["aria-label"].startswith("Sign out ") for b in buttons)


def test_signing_out_another_device_ends_only_that_one(app: Flask, make) -> None:
    user = make.user()
    laptop, phone = _device(app, FIREFOX, "192.0.2.1"), _device(app, IPHONE, "192.0.2.2")
    login(laptop, user.username)
    login(phone, user.username)
    phone_row = next(r for r in _rows(user.id) if r.user_agent == "Safari on iOS")
    response = laptop.post(f"/account/sessions/{phone_row.id}/end")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account#sessions")
    assert not _signed_in(phone)
    assert _signed_in(laptop)
    assert len(parse(laptop.get("/account").data).find_all("li", cls="session-item")) == 1


def test_signing_out_this_device_from_the_list_signs_it_out(app: Flask, make) -> None:
    user = make.user()
    laptop = _device(app, FIREFOX, "192.0.2.1")
    login(laptop, user.username)
    (row,) = _rows(user.id)
    assert laptop.post(f"/account/sessions/{row.id}/end").status_code == 302
    assert not _signed_in(laptop)


def test_nobody_can_end_another_users_session(app: Flask, make) -> None:
    owner, other = make.user(), make.user()
    victim = _device(app, FIREFOX, "192.0.2.1")
    login(victim, owner.username)
    (row,) = _rows(owner.id)
    intruder = app.test_client()
    login(intruder, other.username)
    assert intruder.post(f"/account/sessions/{row.id}/end").status_code == 404
    assert _signed_in(victim)


def test_an_idle_session_ends_after_eight_hours_without_a_request(app: Flask, make) -> None:
    assert app.config["SESSION_IDLE_TIMEOUT"] == timedelta(hours=8)
    user = make.user()
    client = app.test_client()
    login(client, user.username)
    _age(user.id, last_seen=timedelta(hours=7, minutes=50))
    assert _signed_in(client)  # used within the window: it lives on, and is seen again
    assert _rows(user.id)[0].last_seen_at > utcnow() - timedelta(minutes=1)
    _age(user.id, last_seen=timedelta(hours=8, minutes=1))
    assert not _signed_in(client)
    assert "session-item" not in client.get("/account").get_data(as_text=True)


def test_keep_me_signed_in_lasts_thirty_days_from_sign_in(app: Flask, make) -> None:
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)
    user = make.user()
    client = app.test_client()
    response = client.post(
        "/login", data={"username": user.username, "password": "correct horse battery staple",
                        "remember": "y"},
    )  # fmt: skip
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "remember_token" in c)
    assert "Max-Age=2592000" in cookie or "Expires=" in cookie
    (row,) = _rows(user.id)
    assert row.remember
    assert row.expires_at is not None
    assert timedelta(days=29, hours=23) < row.expires_at - row.created_at <= timedelta(days=30)
    # A remembered session survives a long idle (only the cookie comes back) ...
    remembered = app.test_client()
    remembered.set_cookie("remember_token", client.get_cookie("remember_token").value)
    _age(user.id, last_seen=timedelta(days=3))
    assert _signed_in(remembered)
    # ... until its thirty days are up.
    db.session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    again = app.test_client()
    again.set_cookie("remember_token", client.get_cookie("remember_token").value)
    assert not _signed_in(again)


def test_signing_out_ends_every_device_session_row(app: Flask, make) -> None:
    user = make.user()
    laptop, phone = _device(app, FIREFOX, "192.0.2.1"), _device(app, IPHONE, "192.0.2.2")
    login(laptop, user.username)
    login(phone, user.username)
    laptop.post("/logout")
    assert all(r.ended_at is not None for r in _rows(user.id))
    assert not _signed_in(phone)


def test_a_session_id_without_a_device_secret_signs_nobody_in(app: Flask, make) -> None:
    user = make.user()
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = f"{user.id}:{user.session_token}"  # the format before 0.2.0
        cookie["_fresh"] = True
    assert not _signed_in(client)


def test_user_agents_are_summarised_for_people() -> None:
    assert summarise_agent(FIREFOX) == "Firefox on Linux"
    assert summarise_agent(IPHONE) == "Safari on iOS"
    chrome_win = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36"
    )
    assert summarise_agent(chrome_win) == "Chrome on Windows"
    assert summarise_agent(chrome_win + " Edg/131.0.0.0") == "Edge on Windows"
    assert summarise_agent("") == "Unknown browser"


def _age(user_id: int, last_seen: timedelta) -> None:
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id)
        .values(last_seen_at=utcnow() - last_seen)
    )
    db.session.commit()


def test_sessions_that_ended_are_forgotten_at_the_next_sign_in(app: Flask, make) -> None:
    user = make.user()
    first = app.test_client()
    login(first, user.username)
    first.post("/logout")
    assert len(_rows(user.id)) == 1
    login(app.test_client(), user.username)
    rows = _rows(user.id)
    assert len(rows) == 1
    assert rows[0].ended_at is None
