"""Sign-in backoff on the page: a clear message and Retry-After, and no password check."""

from __future__ import annotations

from app import throttle
from app.web import auth
from tests.factories import PASSWORD
from tests.functional.web.page import parse


def test_a_sign_in_under_backoff_is_refused_with_the_wait(client, make, monkeypatch) -> None:
    user = make.user()
    monkeypatch.setattr(auth.throttle, "login_backoff", lambda name: throttle.Backoff(125))
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "125"
    assert "Wait 2 minutes" in parse(response.data).find(id="password-error").text
    assert not parse(client.get("/").data).has(cls="account-name")


def test_failed_sign_ins_are_recorded_and_a_success_clears_them(client, make, monkeypatch) -> None:
    user, calls = make.user(), []
    monkeypatch.setattr(auth.throttle, "record_failed_login", lambda n: calls.append(("fail", n)))
    monkeypatch.setattr(auth.throttle, "clear_failed_logins", lambda n: calls.append(("ok", n)))
    client.post("/login", data={"username": user.username, "password": "not it at all"})
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert calls == [("fail", user.username), ("ok", user.username)]
