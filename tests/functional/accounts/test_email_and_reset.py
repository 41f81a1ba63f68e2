"""Registering with an address, confirming it, and resetting a password by a mailed link."""

from __future__ import annotations

import time

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, User
from app.services.accounts import address_digest
from app.services.links import Purpose, sign, unsign
from app.services.tokens import find_token_user, issue_token
from tests.factories import PASSWORD, login

NEW = "a brand new passphrase 7"
SAME_ANSWER = "If an account has that address, a link to set a new password is on its way."


def _user(name: str) -> User:
    db.session.expire_all()
    return db.session.scalars(select(User).where(User.username == name)).one()


def _register(client, name="newcomer", email="newcomer@example.edu"):  # type: ignore[no-untyped-def]
    data = {"username": name, "email": email, "password": PASSWORD, "confirm": PASSWORD}
    return client.post("/register", data=data)


def _reset_mail(smtp, deliver, address):  # type: ignore[no-untyped-def]
    deliver()
    return [m for m in smtp.to(address) if "/password/reset/" in m.text][-1]


def test_registering_mails_a_link_that_confirms_the_address(client, app_ctx, smtp, deliver):
    response = _register(client)
    assert response.status_code == 302
    assert _user("newcomer").email is None
    deliver()
    [mail] = smtp.to("newcomer@example.edu")
    link = mail.path_of("/email/confirm/")
    token = link.rsplit("/", 1)[1]
    assert "@" not in str(unsign(Purpose.CONFIRM, token))  # no address in URLs or their logs
    assert client.get(link).status_code == 200  # a page with a button: scanners confirm nothing
    assert _user("newcomer").email is None
    confirmed = client.post(link)
    assert confirmed.status_code == 302
    assert _user("newcomer").email == "newcomer@example.edu"
    again = client.post(link)
    assert again.status_code == 400
    assert "already confirmed" in again.get_data(as_text=True)


def test_an_address_that_is_taken_gets_a_warning_and_the_page_says_the_same(
    app, client, make, smtp, deliver, mailbox_user
) -> None:
    mailbox_user("owner")
    first = _register(app.test_client(), "fresh", "fresh@example.edu")
    second = _register(client, "copycat", "OWNER@example.edu ")
    assert first.status_code == second.status_code == 302
    flashes = [c.get("/account").get_data(as_text=True) for c in (client,)]
    assert "We mailed a link to owner@example.edu" in flashes[0]
    assert _user("copycat").pending_email is None  # nothing waits on an address that is taken
    deliver()
    [warning] = smtp.to("owner@example.edu")
    assert "tried to use this address" in warning.text
    assert "/email/confirm/" not in warning.text


@pytest.mark.parametrize(
    "address",
    ["", "not-an-address", "two@example.edu, three@example.edu", "a@b",
     "x@example.edu\r\nBcc: y@z.org", "spaced out@example.edu", "x" * 250 + "@example.edu"],
)  # fmt: skip
def test_malformed_addresses_are_refused_and_nothing_is_stored(client, app_ctx, address) -> None:
    response = _register(client, "newcomer", address)
    assert response.status_code == 422
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "newcomer")) is None


def test_forged_expired_and_other_accounts_confirmation_links_are_refused(
    app, client, make, smtp, monkeypatch
) -> None:
    ann, bob = make.user("ann"), make.user("bob")
    ann.pending_email = "ann@example.edu"
    db.session.commit()
    good = sign(Purpose.CONFIRM, {"u": ann.id, "e": address_digest("ann@example.edu")})
    assert client.post(f"/email/confirm/{good[:-2]}xx").status_code == 400  # forged
    reset_token = sign(Purpose.RESET, {"u": ann.id, "e": address_digest("ann@example.edu")})
    assert client.post(f"/email/confirm/{reset_token}").status_code == 400  # another purpose
    login(client, "bob")
    refused = client.post(f"/email/confirm/{good}")
    assert refused.status_code == 403  # a link for another account
    assert "another account" in refused.get_data(as_text=True)
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda _: int(time.time()) - 4 * 86400)
        old = sign(Purpose.CONFIRM, {"u": ann.id, "e": address_digest("ann@example.edu")})
    expired = app.test_client().post(f"/email/confirm/{old}")
    assert expired.status_code == 400
    assert "expired" in expired.get_data(as_text=True)
    assert _user("ann").email is None
    assert bob.id


def test_changing_the_address_confirms_the_new_one_first(
    client, make, smtp, deliver, mailbox_user
) -> None:
    mailbox_user("ann")
    login(client, "ann")
    assert client.post("/account/email", data={"email": "ann@new.example.edu"}).status_code == 302
    assert _user("ann").email == "ann@example.edu"
    deliver()
    [mail] = smtp.to("ann@new.example.edu")
    client.post(mail.path_of("/email/confirm/"))
    assert _user("ann").email == "ann@new.example.edu"


def test_forgot_reset_signs_in_and_ends_every_other_session_and_token(
    app, client, make, smtp, deliver, mailbox_user
) -> None:
    ann = mailbox_user("ann")
    other_device = app.test_client()
    login(other_device, "ann")
    raw, _ = issue_token(ann)
    db.session.commit()

    answer = client.post(
        "/password/forgot", data={"email": "Ann@Example.edu"}, follow_redirects=True
    )
    assert SAME_ANSWER in answer.get_data(as_text=True)
    mail = _reset_mail(smtp, deliver, "ann@example.edu")
    link = mail.path_of("/password/reset/")
    assert client.get(link).status_code == 200
    done = client.post(link, data={"new_password": NEW, "confirm": NEW})
    assert done.status_code == 302
    assert client.get("/account").status_code == 200  # signed in by the reset
    assert other_device.get("/account").status_code == 302  # the other session ended
    assert find_token_user(raw) is None  # and the API token
    reused = app.test_client().post(link, data={"new_password": NEW + "x", "confirm": NEW + "x"})
    assert reused.status_code == 400
    assert "used already" in reused.get_data(as_text=True)
    login(app.test_client(), "ann", NEW)


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, app_ctx, smtp, deliver):
    answer = client.post(
        "/password/forgot", data={"email": "nobody@example.edu"}, follow_redirects=True
    )
    assert SAME_ANSWER in answer.get_data(as_text=True)
    deliver()
    assert smtp.received == []


def test_asking_again_and_again_mails_one_link_per_few_minutes(client, mailbox_user) -> None:
    mailbox_user("ann")
    for _ in range(4):
        client.post("/password/forgot", data={"email": "ann@example.edu"})
    assert db.session.scalar(select(db.func.count()).select_from(OutboxMessage)) == 1


def test_an_expired_reset_link_and_one_for_another_account_are_refused(
    app, client, make, mailbox_user, monkeypatch
) -> None:
    from app.services.accounts import reset_link

    ann = mailbox_user("ann")
    mailbox_user("bob")
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda _: int(time.time()) - 3601)
        old = reset_link(ann).split("localhost", 1)[1]
    assert client.get(old).status_code == 400
    login(client, "bob")
    fresh = reset_link(ann).split("localhost", 1)[1]
    assert client.post(fresh, data={"new_password": NEW, "confirm": NEW}).status_code == 403
    login(app.test_client(), "ann")  # Ann's password did not change


def test_the_reset_password_command_mails_a_link_or_prints_one(
    runner, make, smtp, deliver, mailbox_user
) -> None:
    mailbox_user("ann")
    make.user("nomail")
    assert "in the outbox" in runner.invoke(args=["users", "reset-password", "ann"]).output
    assert "/password/reset/" in _reset_mail(smtp, deliver, "ann@example.edu").text
    printed = runner.invoke(args=["users", "reset-password", "nomail"])
    assert printed.exit_code == 0
    assert "/password/reset/" in printed.output
    unknown = runner.invoke(args=["users", "reset-password", "ghost"])
    assert unknown.exit_code != 0
    assert "No account" in unknown.output


def test_a_forged_host_header_cannot_redirect_the_reset_link(
    app, client, smtp, deliver, mailbox_user
) -> None:
    mailbox_user("ann")
    app.config["PUBLIC_URL"] = "https://cp.example.edu"
    try:
        client.post(
            "/password/forgot",
            data={"email": "ann@example.edu"},
            headers={"Host": "localhost", "X-Forwarded-Host": "evil.example"},
        )
        deliver()
    finally:
        app.config["PUBLIC_URL"] = None
    [mail] = smtp.to("ann@example.edu")
    assert next(link for link in mail.links() if "/password/reset/" in link).startswith(
        "https://cp.example.edu/password/reset/"
    )
    assert "evil.example" not in mail.text


def test_asking_for_reset_links_is_rate_limited_per_address(limited_app) -> None:
    from app.web.password import FORGOT_RATE

    client = limited_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.40"
    for n in range(int(FORGOT_RATE.split()[0])):
        assert (
            client.post("/password/forgot", data={"email": f"x{n}@example.edu"}).status_code == 302
        )
    refused = client.post("/password/forgot", data={"email": "y@example.edu"})
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
