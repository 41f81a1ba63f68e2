"""Accounts (issue 13) and sign-in (issue 14) together: registering, resetting, disabling and
deleting an account each start or end its device sessions and leave nothing behind."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import FailedSignin, OutboxMessage, RequestKey, User, UserSession
from app.services.signin_backoff import Attempt, account_key, record_failure
from tests.factories import PASSWORD, login

API = "/api/v1"
NEW = "a brand new passphrase 7"


def _sessions(user_id: int) -> list[UserSession]:
    db.session.expire_all()
    return list(db.session.scalars(select(UserSession).where(UserSession.user_id == user_id)))


def _live(user_id: int) -> list[UserSession]:
    return [row for row in _sessions(user_id) if row.ended_at is None]


def _count(model, *where) -> int:  # type: ignore[no-untyped-def]
    db.session.rollback()
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_registering_starts_a_device_session_and_queues_the_confirmation(client, app_ctx) -> None:
    data = {"username": "newcomer", "email": "Newcomer@Example.edu", "password": PASSWORD,
            "confirm": PASSWORD}  # fmt: skip
    assert client.post("/register", data=data).status_code == 302
    user = db.session.scalars(select(User).where(User.username == "newcomer")).one()
    [row] = _live(user.id)
    page = client.get("/account").get_data(as_text=True)
    assert "This device" in page  # the account page lists this browser's session
    [mail] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user.id))
    assert mail.to_addr == "newcomer@example.edu"
    assert "/email/confirm/" in mail.text_body
    assert row.remember is False


def test_a_refused_registration_stores_no_account_session_or_mail(client, app_ctx) -> None:
    data = {"username": "newcomer", "email": "not an address", "password": PASSWORD,
            "confirm": PASSWORD, "display_name": "Ne\u202ewcomer"}  # fmt: skip
    refused = client.post("/register", data=data)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'id="email-error"' in page
    assert "U+202E" in page  # every problem at once, not one per try
    assert _count(User, User.username == "newcomer") == 0
    assert _count(UserSession) == _count(OutboxMessage) == 0


def test_a_reset_ends_every_device_session_and_starts_one_here(
    app: Flask, client, smtp, deliver, mailbox_user
) -> None:
    ann = mailbox_user("ann")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "ann")
    login(phone, "ann")
    assert len(_live(ann.id)) == 2
    client.post("/password/forgot", data={"email": "ann@example.edu"})
    deliver()
    [mail] = [m for m in smtp.to("ann@example.edu") if "/password/reset/" in m.text]
    link = mail.path_of("/password/reset/")
    assert client.post(link, data={"new_password": NEW, "confirm": NEW}).status_code == 302
    [here] = _live(ann.id)
    assert client.get("/account").status_code == 200
    assert laptop.get("/account").status_code == phone.get("/account").status_code == 302
    assert "This device" in client.get("/account").get_data(as_text=True)
    assert here.ended_at is None


def test_disabling_ends_the_device_sessions_at_once(app: Flask, make) -> None:
    make.user("boss", role="admin")
    pupil = make.user("pupil")
    device = app.test_client()
    login(device, "pupil")
    assert len(_live(pupil.id)) == 1
    admin = app.test_client()
    login(admin, "boss")
    assert admin.post("/admin/people/pupil/disable").status_code == 302
    assert _live(pupil.id) == []
    assert device.get(f"{API}/me").status_code == 401


@pytest.fixture
def argon2(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hashes made as in production (Argon2id), at a cost a test can afford."""
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", "argon2id")
    monkeypatch.setitem(app.config, "ARGON2_MEMORY_KIB", 1024)
    monkeypatch.setitem(app.config, "ARGON2_TIME_COST", 1)


def test_deleting_an_argon2_account_leaves_no_sessions_failures_or_kept_answers(
    app: Flask, make, argon2
) -> None:
    ann = make.user("ann")
    assert ann.password_hash.startswith("$argon2id$")
    device = app.test_client()
    login(device, "ann")
    key = account_key("ann", app.config["SECRET_KEY"])
    record_failure(Attempt(key, "192.0.2.9"))
    kept = {"key": "k" * 64, "fingerprint": "f" * 64, "claim": "c" * 32, "status": 201}
    db.session.add(RequestKey(scope=RequestKey.user_scope(ann.id), body='{"body": "mine"}', **kept))
    db.session.commit()
    ann_id = ann.id

    gone = device.delete(f"{API}/me", json={"password": PASSWORD})
    assert gone.status_code == 204, gone.get_data(as_text=True)
    assert _count(UserSession, UserSession.user_id == ann_id) == 0
    assert _count(FailedSignin, FailedSignin.account == key) == 0
    assert _count(RequestKey, RequestKey.scope == RequestKey.user_scope(ann_id)) == 0
    assert device.get(f"{API}/me").status_code == 401
    # The name is free again, and whoever takes it starts with a clean slate.
    make.user("ann")
    login(app.test_client(), "ann")


def test_a_new_display_name_follows_the_registration_rules(app: Flask, make) -> None:
    make.user("ada", display_name="Ada")
    make.user("ann")
    client = app.test_client()
    login(client, "ann")
    for name, words in (("Ann\u202e", "U+202E"), ("\u0410da", "looks the same")):
        refused = client.post("/account/profile", data={"display_name": name})
        assert refused.status_code == 422
        assert words in refused.get_data(as_text=True)
    assert client.post("/account/profile", data={"display_name": "Ａnn"}).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(User.display_name).where(User.username == "ann")) == "Ann"
